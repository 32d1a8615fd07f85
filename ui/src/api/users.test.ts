import { describe, expect, it } from 'vitest';
import { createPasswordLink } from './users';

describe('activation link', () => {
  it('points at the create-password page with the same token', () => {
    expect(createPasswordLink('http://node:8080/api/noauth/activate?activateToken=abc%2B1', 'https://ui.example')).toBe(
      'https://ui.example/login/createPassword?activateToken=abc%2B1',
    );
  });
  it('is null without a token', () => {
    expect(createPasswordLink('http://node/api/noauth/activate', 'http://node')).toBeNull();
  });
});
