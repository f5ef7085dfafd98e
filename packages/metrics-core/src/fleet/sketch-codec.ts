import type { SketchBuckets } from '../contracts/fleet.js';

/**
 * A compact text form of a sketch's buckets, so that thousands of them fit one Redis value: unsigned LEB128
 * varints (the protobuf wire encoding), then base64. Bytes: zigzag(offset), zeroCount, then blocks of
 * `gap, length, count × length` — `gap` zero buckets are skipped before each run of non-zero ones. Latency
 * sketches are runs of small counts, so a bucket costs about one byte (≈ 1.33 characters).
 * The exact counts survive, so a decoded sketch merges exactly like the original.
 */

/** Reused output buffer: encoding allocates only the final string. */
let scratch = new Uint8Array(4096);
let length = 0;

function ensure(extra: number): void {
  if (length + extra <= scratch.length) return;
  const next = new Uint8Array(Math.max(scratch.length * 2, length + extra));
  next.set(scratch.subarray(0, length));
  scratch = next;
}

function writeVarint(value: number): void {
  ensure(10);
  // Arithmetic, not bit operators: counts go up to 2^32 and offsets past 2^31 after zigzag.
  let rest = value;
  while (rest >= 0x80) {
    scratch[length++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  scratch[length++] = rest;
}

/** Encodes the bucket counts (not count/sum/min/max, which travel as plain numbers beside them). */
export function encodeBuckets(buckets: Pick<SketchBuckets, 'offset' | 'counts' | 'zeroCount'>): string {
  length = 0;
  const { offset, counts } = buckets;
  writeVarint(offset >= 0 ? offset * 2 : -offset * 2 - 1);
  writeVarint(buckets.zeroCount);
  let k = 0;
  let previousEnd = 0;
  while (k < counts.length) {
    while (k < counts.length && counts[k] === 0) k++;
    if (k === counts.length) break;
    let end = k;
    while (end < counts.length && counts[end] !== 0) end++;
    writeVarint(k - previousEnd);
    writeVarint(end - k);
    for (let i = k; i < end; i++) writeVarint(counts[i]!);
    previousEnd = end;
    k = end;
  }
  return Buffer.from(scratch.buffer, 0, length).toString('base64');
}

/** Reused decoding buffer (see decodeBuckets). */
let decoded = new Uint32Array(4096);

/** Reads what `encodeBuckets` wrote; throws `RangeError` on a truncated or malformed value. */
export function decodeBuckets(text: string): { offset: number; counts: Uint32Array; zeroCount: number } {
  const bytes = Buffer.from(text, 'base64');
  let position = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (position >= bytes.length) throw new RangeError('[wai:metrics-core] truncated sketch encoding');
      const byte = bytes[position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new RangeError('[wai:metrics-core] malformed sketch encoding');
    }
  };
  const zigzag = read();
  const offset = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  const zeroCount = read();
  // Straight into a reused scratch array (gaps zeroed as they are skipped), then one copy of the used part: no
  // per-run arrays, which were most of the decoding cost of a fleet read.
  let end = 0;
  while (position < bytes.length) {
    const start = end + read();
    const runLength = read();
    if (start + runLength > 1 << 20) throw new RangeError('[wai:metrics-core] sketch encoding spans too many buckets');
    if (start + runLength > decoded.length) {
      const next = new Uint32Array(Math.max(decoded.length * 2, start + runLength));
      next.set(decoded.subarray(0, end));
      decoded = next;
    }
    decoded.fill(0, end, start);
    for (let i = 0; i < runLength; i++) decoded[start + i] = read();
    end = start + runLength;
  }
  const counts = decoded.slice(0, end);
  return { offset, counts, zeroCount };
}
