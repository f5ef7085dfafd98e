/**
 * Estimates the V8 heap bytes a value retains, once, when it is written to L1. The figures follow V8's object
 * layouts on 64-bit Node without pointer compression (every tagged slot 8 bytes):
 * - string: 16-byte header + 1 byte per char when every char is Latin-1 (V8's one-byte representation),
 *   else 2 bytes per char, rounded up to 8;
 * - number: 0 extra for small integers (Smis live in the slot), else a 16-byte HeapNumber;
 * - boolean / null / undefined: 0 extra (shared oddballs);
 * - array: 32-byte JSArray + 16-byte backing store header + 8 per element, plus each element (nothing more for
 *   an all-number array: V8 keeps its doubles unboxed);
 * - plain object: 24-byte header + 8 per property plus each value (property names are internalized strings
 *   shared by all objects of a shape, so they are not counted);
 * - Date 48, Map/Set 64 + 24 per entry (hash table entry), Buffer / typed arrays 96 + byteLength.
 * Shared sub-objects are counted once; the walk is bounded (depth 64) so cyclic or huge graphs cannot hang it.
 * `bench/cache-tiers.bench.ts` (row 5) measures the resident heap against `maxMemory` to keep these honest.
 */
const MAX_DEPTH = 64;

export function estimateStringBytes(value: string): number {
  // Latin-1 test without allocation: a single char >= 256 makes V8 store the whole string two bytes per char.
  let perChar = 1;
  for (let index = 0; index < value.length; index++) {
    if (value.charCodeAt(index) > 0xff) {
      perChar = 2;
      break;
    }
  }
  return roundUp(16 + value.length * perChar);
}

export function estimateValueBytes(value: unknown): number {
  // Primitives need no cycle guard: skip allocating one on the common string / number path.
  if (value === null || typeof value !== 'object') return walk(value, 0, undefined);
  return walk(value, 0, new Set<object>());
}

function roundUp(bytes: number): number {
  return (bytes + 7) & ~7;
}

function walk(value: unknown, depth: number, seen: Set<object> | undefined): number {
  switch (typeof value) {
    case 'string':
      return estimateStringBytes(value);
    case 'number':
      return Number.isInteger(value) && value >= -0x40000000 && value < 0x40000000 ? 0 : 16;
    case 'bigint':
      return 24;
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return 0;
    case 'function':
      return 64;
    default:
      break;
  }
  if (value === null) return 0;
  const object = value as object;
  if (seen === undefined || seen.has(object) || depth > MAX_DEPTH) return 0;
  seen.add(object);
  if (Array.isArray(object)) {
    let bytes = 48 + 8 * object.length;
    // An all-number array is a FixedDoubleArray in V8: its doubles sit unboxed in the 8-byte slots.
    if (object.every((element) => typeof element === 'number')) return bytes;
    for (const element of object) bytes += walk(element, depth + 1, seen);
    return bytes;
  }
  if (ArrayBuffer.isView(object)) return 96 + object.byteLength;
  if (object instanceof ArrayBuffer) return 64 + object.byteLength;
  if (object instanceof Date) return 48;
  if (object instanceof Map) {
    let bytes = 64;
    for (const [key, entryValue] of object) bytes += 24 + walk(key, depth + 1, seen) + walk(entryValue, depth + 1, seen);
    return bytes;
  }
  if (object instanceof Set) {
    let bytes = 64;
    for (const member of object) bytes += 16 + walk(member, depth + 1, seen);
    return bytes;
  }
  let bytes = 24;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    // Property names are internalized strings shared by every object of the same shape: not counted.
    bytes += 8 + walk((object as Record<string, unknown>)[key], depth + 1, seen);
  }
  return bytes;
}
