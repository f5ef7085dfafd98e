import { deflateSync, inflateSync } from 'node:zlib';
import { unserializable } from './errors.js';

/**
 * Turns values into bytes for L2/L3 and back. Plug in another (e.g. msgpackr's `pack`/`unpack`, which keeps
 * `Date`, `Map`, `Set` and `BigInt`) through `serializer` on the tier or cache options.
 */
export interface Serializer {
  serialize(value: unknown): string | Uint8Array;
  deserialize(data: Buffer): unknown;
}

/**
 * JSON, strict about what JSON would silently change:
 * - `Date` → its ISO string (read back as a string, as `JSON.stringify` does; revive it yourself);
 * - `Map`, `Set`, functions, symbols, `BigInt`, `undefined` at the top level and cyclic structures →
 *   `ValidationError` `E_UNSERIALIZABLE_VALUE` (nothing is stored) rather than `{}` or a dropped field.
 * `undefined` inside objects is dropped, as in JSON; `NaN`/`Infinity` become `null`.
 */
export const jsonSerializer: Serializer = {
  serialize(value) {
    if (value === undefined) throw unserializable('undefined cannot be cached (use null)');
    let text: string | undefined;
    try {
      text = JSON.stringify(value, strictReplacer);
    } catch (error) {
      if (error instanceof UnserializableMarker) throw unserializable(error.message);
      // Cycles (TypeError: Converting circular structure) and BigInt (TypeError: Do not know how to serialize).
      throw unserializable(error instanceof Error ? error.message : String(error), error);
    }
    if (text === undefined) throw unserializable(`a ${typeof value} has no JSON form`);
    return text;
  },
  deserialize(data) {
    return JSON.parse(data.toString('utf8'));
  },
};

class UnserializableMarker extends Error {}

function strictReplacer(this: unknown, _key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
      throw new UnserializableMarker('functions have no JSON form');
    case 'symbol':
      throw new UnserializableMarker('symbols have no JSON form');
    case 'bigint':
      throw new UnserializableMarker('BigInt has no JSON form (use a serializer such as msgpackr)');
    case 'object':
      if (value instanceof Map || value instanceof Set) {
        throw new UnserializableMarker(`a ${value instanceof Map ? 'Map' : 'Set'} would become {} in JSON (convert it, or use a serializer such as msgpackr)`);
      }
      return value;
    default:
      return value;
  }
}

const RAW = 0x00;
const DEFLATE = 0x01;

export interface CodecOptions {
  /** @default jsonSerializer */
  serializer?: Serializer;
  /** Payloads larger than this many bytes are deflated (node:zlib). `false` disables. @default 1024 */
  compressionThreshold?: number | false;
}

/** Serializer + compression with a one-byte marker, so compressed and plain payloads can be told apart. */
export interface Codec {
  encode(value: unknown): Buffer;
  decode(data: Buffer): unknown;
}

export function createCodec(options: CodecOptions = {}): Codec {
  const serializer = options.serializer ?? jsonSerializer;
  const threshold = options.compressionThreshold ?? 1024;
  return {
    encode(value) {
      const serialized = serializer.serialize(value);
      const body = typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength);
      if (threshold !== false && body.length > threshold) {
        return Buffer.concat([Buffer.of(DEFLATE), deflateSync(body)]);
      }
      return Buffer.concat([Buffer.of(RAW), body]);
    },
    decode(data) {
      const marker = data[0];
      // JSON straight from the bytes past the marker: no Buffer view per read (the L2 hit path).
      if (marker === RAW && serializer === jsonSerializer) return JSON.parse(data.toString('utf8', 1));
      const body = data.subarray(1);
      if (marker === DEFLATE) return serializer.deserialize(inflateSync(body));
      if (marker === RAW) return serializer.deserialize(body);
      throw new Error(`[wai:cache-tiers] unknown payload marker ${String(marker)} (written by another serializer?)`);
    },
  };
}
