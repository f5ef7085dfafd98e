/**
 * Every error @wai throws on purpose is a `WaiError` with a stable `code`, so callers branch on codes rather
 * than on messages, and HTTP adapters map codes to 4xx statuses. Messages start with `[wai:<package>]`.
 */
export type WaiErrorCode =
  | 'E_CONFIG_INVALID'
  | 'E_INVALID_ARGUMENT'
  | 'E_INVALID_KEY'
  | 'E_INVALID_TTL'
  | 'E_UNSERIALIZABLE_VALUE'
  | 'E_NOT_FOUND'
  | 'E_UNAUTHORIZED'
  | 'E_FORBIDDEN'
  | 'E_VALIDATION'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_RATE_LIMITED'
  | 'E_OVERLOADED'
  | 'E_TIMEOUT'
  | 'E_LOADER_FAILED'
  | 'E_CACHE_L1_ERROR'
  | 'E_CACHE_L2_UNAVAILABLE'
  | 'E_CACHE_L3_UNAVAILABLE'
  | 'E_CIRCUIT_OPEN'
  | 'E_CLOSED'
  | 'E_PROFILER_BUSY'
  | 'E_INTERNAL'
  | (string & {});

export interface WaiErrorOptions {
  cause?: unknown;
  /** Structured details safe to show a caller (never secrets or stacks). */
  details?: Record<string, unknown>;
}

const WAI_ERROR_MARK = Symbol.for('@wai/error');

export class WaiError extends Error {
  readonly code: WaiErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** HTTP status an adapter should answer with when this error reaches a request. */
  readonly statusCode: number;
  readonly [WAI_ERROR_MARK] = true;

  constructor(code: WaiErrorCode, message: string, options: WaiErrorOptions & { statusCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
    this.statusCode = options.statusCode ?? 500;
  }

  /**
   * True for a WaiError from any copy of this package (ESM and CJS builds, or two installed versions),
   * where `instanceof` would fail.
   */
  static isInstance(value: unknown): value is WaiError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[WAI_ERROR_MARK] === true;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** A configuration value (option or environment variable) is wrong; the message names it and the accepted form. */
export class ConfigError extends WaiError {
  constructor(message: string, options: WaiErrorOptions = {}) {
    super('E_CONFIG_INVALID', message, { ...options, statusCode: 500 });
  }
}

/** A caller passed a bad argument (key, TTL, value, option); nothing was changed. */
export class ValidationError extends WaiError {
  constructor(code: WaiErrorCode, message: string, options: WaiErrorOptions = {}) {
    super(code, message, { ...options, statusCode: 400 });
  }
}

export class NotFoundError extends WaiError {
  constructor(message: string, options: WaiErrorOptions = {}) {
    super('E_NOT_FOUND', message, { ...options, statusCode: 404 });
  }
}

export class UnauthorizedError extends WaiError {
  constructor(message: string, options: WaiErrorOptions = {}) {
    super('E_UNAUTHORIZED', message, { ...options, statusCode: 401 });
  }
}

export class TimeoutError extends WaiError {
  constructor(message: string, options: WaiErrorOptions = {}) {
    super('E_TIMEOUT', message, { ...options, statusCode: 504 });
  }
}

/** A dependency (Redis, SQL, a loader) is unavailable or failed; the cause holds the original error. */
export class UnavailableError extends WaiError {
  constructor(code: WaiErrorCode, message: string, options: WaiErrorOptions = {}) {
    super(code, message, { ...options, statusCode: 503 });
  }
}
