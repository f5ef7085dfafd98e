import { describe, expect, it } from 'vitest';
import { ConfigError, NotFoundError, ValidationError, WaiError } from './errors.js';

describe('WaiError', () => {
  it('carries a stable code, a cause and an HTTP status', () => {
    const cause = new Error('boom');
    const error = new ValidationError('E_INVALID_TTL', '[wai:cache-tiers] ttl must be a finite number ≥ 0', { cause });
    expect(error.code).toBe('E_INVALID_TTL');
    expect(error.cause).toBe(cause);
    expect(error.statusCode).toBe(400);
    expect(error.name).toBe('ValidationError');
    expect(error).toBeInstanceOf(WaiError);
    expect(new NotFoundError('x').statusCode).toBe(404);
    expect(new ConfigError('x').code).toBe('E_CONFIG_INVALID');
  });

  it('recognises instances across copies of the class', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@wai/error')]: true, code: 'E_X' });
    expect(WaiError.isInstance(foreign)).toBe(true);
    expect(WaiError.isInstance(new Error('x'))).toBe(false);
    expect(WaiError.isInstance(null)).toBe(false);
  });

  it('serialises to { code, message } without a stack', () => {
    const json = JSON.parse(JSON.stringify(new NotFoundError('[wai:x] no such strategy', { details: { name: 'a' } })));
    expect(json).toEqual({ code: 'E_NOT_FOUND', message: '[wai:x] no such strategy', details: { name: 'a' } });
  });
});
