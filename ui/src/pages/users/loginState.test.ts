import { describe, expect, it } from 'vitest';
import { loginState } from './loginState';

describe('loginState', () => {
  it('reads the flags of additionalInfo', () => {
    expect(loginState({ additionalInfo: { userCredentialsEnabled: false, userActivated: false } })).toEqual({ enabled: false, activated: false });
    expect(loginState({ additionalInfo: { userCredentialsEnabled: true, userActivated: true } })).toEqual({ enabled: true, activated: true });
  });
  it('treats missing flags as a working login', () => {
    expect(loginState({ additionalInfo: null })).toEqual({ enabled: true, activated: true });
    expect(loginState({})).toEqual({ enabled: true, activated: true });
  });
});
