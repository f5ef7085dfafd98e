/**
 * What instances tell each other over the bus; `i` is the sender's instance id (own messages are ignored), `n`
 * (when present) a sequence number the receivers acknowledge once they have applied the message. A write is
 * announced twice: first with `h: 1` (hold: drop the L1 copy and fill nothing for it until released) and `w`, the
 * write's id, then, once the shared tiers have it, without `h` and with the same `w` (release).
 */
export type BusMessage = (
  | { i: string; o: 'set'; k: string }
  | { i: string; o: 'delete'; k: string }
  | { i: string; o: 'tag'; t: string; a: number }
  | { i: string; o: 'clear' }
) & { n?: number; h?: 1; w?: string };

export function parseBusMessage(raw: string): BusMessage | undefined {
  try {
    const message = JSON.parse(raw) as Partial<BusMessage> & Record<string, unknown>;
    if (typeof message.i !== 'string') return undefined;
    if (message.n !== undefined && typeof message.n !== 'number') return undefined;
    if (message.w !== undefined && typeof message.w !== 'string') return undefined;
    if (message.h !== undefined && message.h !== 1) return undefined;
    switch (message.o) {
      case 'set':
      case 'delete':
        return typeof message.k === 'string' ? (message as BusMessage) : undefined;
      case 'tag':
        return typeof message.t === 'string' && typeof message.a === 'number' ? (message as BusMessage) : undefined;
      case 'clear':
        return message as BusMessage;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
