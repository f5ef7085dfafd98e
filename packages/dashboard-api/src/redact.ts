import { createHmac, randomBytes } from 'node:crypto';

/** What a query value is replaced with: `~` and 8 hex digits of a keyed hash. */
export const REDACTED_VALUE_PATTERN = /^~[0-9a-f]{8}$/;

// A query string inside any text: from `?` to the next space, quote, `#` or end. Cache keys of the HTTP response
// cache (`http:GET:/search?q=alice%40example.com`) and evidence strings that quote them are the usual carriers.
const QUERY = /\?([^\s"'#<>]*)/g;

/**
 * Replaces every query-string value in the strings of `value` (deeply; a copy, the input is not mutated) with
 * `~` + 8 hex digits of HMAC-SHA256 under a key made at start-up. Equal values keep equal tags within one
 * process, so a hot key is still recognisable, but a tag cannot be reversed or checked against a guess from
 * outside (an unkeyed hash of a search term or an e-mail address could be). Names are kept: `?q=~3fa2c1b0`.
 */
export function createQueryRedactor(): <T>(value: T) => T {
  const key = randomBytes(32);
  const tag = (text: string) => `~${createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, 8)}`;
  const redactQuery = (query: string) =>
    query
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals < 0 || equals === pair.length - 1) return pair;
        return `${pair.slice(0, equals + 1)}${tag(pair.slice(equals + 1))}`;
      })
      .join('&');
  const redactString = (text: string) => (text.includes('?') ? text.replace(QUERY, (_match, query: string) => `?${redactQuery(query)}`) : text);
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    if (Buffer.isBuffer(value) || value instanceof Date) return value;
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) copy[redactString(name)] = walk(item, depth + 1);
    return copy;
  };
  return <T>(value: T) => walk(value, 0) as T;
}

/** The identity, for `showQueryValues: true`. */
export const showAll = <T>(value: T): T => value;
