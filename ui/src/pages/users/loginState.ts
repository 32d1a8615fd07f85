/** What a user's JSON says of its login (ThingsBoard's `additionalInfo` flags). */

export interface LoginState {
  enabled: boolean;
  activated: boolean;
}

/** Missing flags (an older server) read as enabled and activated: nothing to warn about. */
export function loginState(user: { additionalInfo?: Record<string, unknown> | null }): LoginState {
  const info = user.additionalInfo ?? {};
  return {
    enabled: info.userCredentialsEnabled !== false,
    activated: info.userActivated !== false,
  };
}
