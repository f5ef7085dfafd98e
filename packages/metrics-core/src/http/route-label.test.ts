import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './rate-limit-key.js';
import { joinRoutePath, normalizeMethod, normalizeRoute, OTHER_METHOD, UNMATCHED_ROUTE } from './route-label.js';

describe('route labels', () => {
  it('upper-cases known methods and collapses unknown ones', () => {
    expect(normalizeMethod('get')).toBe('GET');
    expect(normalizeMethod('PATCH')).toBe('PATCH');
    expect(normalizeMethod('PROPFIND')).toBe(OTHER_METHOD);
    expect(normalizeMethod('x'.repeat(100))).toBe(OTHER_METHOD);
    expect(normalizeMethod(undefined)).toBe('GET');
  });

  it('labels missing templates as UNMATCHED and tidies slashes', () => {
    expect(normalizeRoute(undefined)).toBe(UNMATCHED_ROUTE);
    expect(normalizeRoute('')).toBe(UNMATCHED_ROUTE);
    expect(normalizeRoute('/api//users/:id/')).toBe('/api/users/:id');
    expect(normalizeRoute('/')).toBe('/');
  });

  it('joins Express mount paths and route paths', () => {
    expect(joinRoutePath('/api', '/users/:id')).toBe('/api/users/:id');
    expect(joinRoutePath('/api', '/')).toBe('/api');
    expect(joinRoutePath('', '/')).toBe('/');
    expect(joinRoutePath('', /^\/x$/)).toBe('/^\\/x$/');
    expect(joinRoutePath('/a', ['/b', '/c'])).toBe('/a/b|/c');
    expect(joinRoutePath('/a', undefined)).toBeUndefined();
  });
});

describe('client address keys', () => {
  it('maps IPv4-mapped IPv6 to IPv4 and groups IPv6 by /64', () => {
    expect(clientAddressKey('::ffff:10.0.0.1')).toBe('ip:10.0.0.1');
    expect(clientAddressKey('10.0.0.1')).toBe('ip:10.0.0.1');
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('ip6:2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('ip6:2001:db8:1:2::/64');
    expect(clientAddressKey('::1')).toBe('ip6:0:0:0:0::/64');
    expect(clientAddressKey(undefined)).toBe('ip:unknown');
  });
});
