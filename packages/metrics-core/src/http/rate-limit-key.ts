/**
 * Rate-limit keys from client addresses. Adapters pass the address their framework resolved (Express `req.ip`,
 * Fastify `request.ip`), which already honours the app's trust-proxy setting; this module only normalises it.
 */

/**
 * A stable key for a client address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 address, and an IPv6
 * address is reduced to its /64 network, since one subscriber usually holds a whole /64 (RFC 6177) and could
 * otherwise rotate addresses to dodge the limit.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'ip:unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return `ip:${mapped[1] as string}`;
  if (!address.includes(':')) return `ip:${address}`;
  const withoutZone = address.split('%', 1)[0] as string;
  const groups = expandIpv6(withoutZone);
  return groups ? `ip6:${groups.slice(0, 4).join(':')}::/64` : `ip:${address}`;
}

function expandIpv6(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(':') : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  // An embedded IPv4 tail (`::1.2.3.4`) counts as two groups.
  const last = tail.length > 0 ? tail[tail.length - 1] : head[head.length - 1];
  const ipv4Groups = last?.includes('.') ? 1 : 0;
  const missing = 8 - head.length - tail.length - ipv4Groups;
  if (halves.length === 1 && missing !== 0) return undefined;
  if (missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.map((group) => (group.includes('.') ? group : (parseInt(group, 16) || 0).toString(16)));
}
