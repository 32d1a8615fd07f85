/** The API's error body (`{status, message, errorCode}`) as one exception type for the UI. */

export const ErrorCode = {
  AUTHENTICATION: 10,
  JWT_TOKEN_EXPIRED: 11,
  PERMISSION_DENIED: 20,
  BAD_REQUEST_PARAMS: 31,
  ITEM_NOT_FOUND: 32,
  VERSION_CONFLICT: 35,
} as const;

export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: number | null;

  constructor(status: number, message: string, errorCode: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

/** Builds the error from a failed response's body, which may be JSON, text or empty. */
export function errorFromBody(status: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; errorCode?: unknown };
    const message = typeof parsed.message === 'string' ? parsed.message : `HTTP ${status}`;
    const code = typeof parsed.errorCode === 'number' ? parsed.errorCode : null;
    return new ApiError(status, message, code);
  } catch {
    return new ApiError(status, body.trim() || `HTTP ${status}`, null);
  }
}

/** A message fit for a notification, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
