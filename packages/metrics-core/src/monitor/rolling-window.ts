import { QuantileSketch, type SketchMapping } from './quantile-sketch.js';

/** Sub-window length: current figures are the last `SLOTS × SLOT_MS` (one minute) at 10 s resolution. */
export const SLOT_MS = 10_000;
export const SLOTS = 6;
/** Longer views (5 min, 1 h) read merged one-minute sketches kept for an hour. */
export const MINUTE_MS = 60_000;
export const MINUTES = 60;
const SLOTS_PER_MINUTE = MINUTE_MS / SLOT_MS;

/** Fields of a slot/minute record. */
const ID = 0;
const ERRORS = 1;
const ABORTED = 2;
const CLASSES = 3;
const RECORD = 8;

function addRecord(into: WindowView, records: Float64Array, base: number): void {
  into.errors += records[base + ERRORS]!;
  into.aborted += records[base + ABORTED]!;
  for (let c = 0; c < 5; c++) into.classes[c]! += records[base + CLASSES + c]!;
}

/** Index of a status class in the per-slot counters: 1xx → 0 … 5xx → 4. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Merged figures of a time range (a reusable scratch object; call `reset()` before reuse). */
export class WindowView {
  readonly sketch: QuantileSketch;
  errors = 0;
  aborted = 0;
  readonly classes = new Float64Array(STATUS_CLASSES.length);

  constructor(mapping: SketchMapping) {
    this.sketch = new QuantileSketch(mapping);
  }

  /** Adds another view's figures to this one. */
  add(other: WindowView): void {
    this.sketch.merge(other.sketch);
    this.errors += other.errors;
    this.aborted += other.aborted;
    for (let c = 0; c < this.classes.length; c++) this.classes[c]! += other.classes[c]!;
  }

  reset(): void {
    this.sketch.clear();
    this.errors = 0;
    this.aborted = 0;
    this.classes.fill(0);
  }
}

/**
 * Request figures over time for one series: a ring of 10 s slots (the last minute) whose slots, when reused,
 * fold into a ring of one-minute sketches (the last hour). Every request is in exactly one place — a live slot
 * or a minute — so views merge them without double counting. Slots rotate lazily on write and read; the caller
 * passes the absolute slot number (`⌊now / 10 s⌋`), so there is no clock read here.
 */
export class RollingWindow {
  private readonly mapping: SketchMapping;
  /**
   * Per slot one 64-byte record (a cache line): [slot id, errors, aborted, 1xx, 2xx, 3xx, 4xx, 5xx]. Keeping a
   * request's counters on one line matters more than anything else on the hot path, which is memory-bound.
   */
  private readonly slots = new Float64Array(SLOTS * RECORD);
  private readonly slotSketches: QuantileSketch[] = [];
  /** The same record per minute of the last hour. */
  private readonly minutes = new Float64Array(MINUTES * RECORD);
  /** Allocated on first use, so an idle hour costs nothing. */
  private readonly minuteSketches: Array<QuantileSketch | undefined> = new Array<QuantileSketch | undefined>(MINUTES);
  /** Write cursor: the slot being written and its sketch and record, so a request skips the ring lookup. */
  private currentSlot = -1;
  private current: QuantileSketch;
  private currentBase = 0;

  constructor(mapping: SketchMapping) {
    this.mapping = mapping;
    for (let i = 0; i < SLOTS; i++) {
      this.slotSketches.push(new QuantileSketch(mapping));
      this.slots[i * RECORD + ID] = -1;
    }
    this.current = this.slotSketches[0]!;
    for (let m = 0; m < MINUTES; m++) this.minutes[m * RECORD + ID] = -1;
  }

  /** Records one request; `index` is `mapping.index(durationMs)`, `statusClass` 0..4. */
  record(slot: number, index: number, durationMs: number, statusClass: number, isError: boolean): void {
    if (slot !== this.currentSlot) this.switchTo(slot);
    this.current.addIndexed(index, durationMs);
    const base = this.currentBase;
    this.slots[base + CLASSES + statusClass]!++;
    if (isError) this.slots[base + ERRORS]!++;
  }

  /** Points the write cursor at `slot` (recycling its ring position when it held an older slot). */
  private switchTo(slot: number): void {
    const position = slot % SLOTS;
    if (this.slots[position * RECORD + ID] !== slot) this.recycle(position, slot);
    this.currentSlot = slot;
    this.current = this.slotSketches[position]!;
    this.currentBase = position * RECORD;
  }

  /** Counts an error or abort without a duration (a thrown error tracked on its own, a client abort). */
  countEvent(slot: number, kind: 'error' | 'aborted'): void {
    const position = slot % SLOTS;
    if (this.slots[position * RECORD + ID] !== slot) this.recycle(position, slot);
    this.slots[position * RECORD + (kind === 'error' ? ERRORS : ABORTED)]!++;
  }

  /** Folds a slot that is about to be reused into its minute, then empties it for `slot`. */
  private recycle(position: number, slot: number): void {
    const base = position * RECORD;
    const previous = this.slots[base + ID]!;
    if (previous >= 0) {
      const sketch = this.slotSketches[position]!;
      if (sketch.count > 0 || this.slots[base + ERRORS]! > 0 || this.slots[base + ABORTED]! > 0) {
        const minute = Math.floor(previous / SLOTS_PER_MINUTE);
        const m = minute % MINUTES;
        const minuteBase = m * RECORD;
        let minuteSketch = this.minuteSketches[m];
        if (this.minutes[minuteBase + ID] !== minute) {
          this.minutes.fill(0, minuteBase, minuteBase + RECORD);
          this.minutes[minuteBase + ID] = minute;
          if (minuteSketch) minuteSketch.clear();
        }
        if (!minuteSketch) minuteSketch = this.minuteSketches[m] = new QuantileSketch(this.mapping);
        minuteSketch.merge(sketch);
        for (let f = ERRORS; f < RECORD; f++) this.minutes[minuteBase + f]! += this.slots[base + f]!;
      }
      sketch.clear();
      this.slots.fill(0, base, base + RECORD);
    }
    this.slots[base + ID] = slot;
  }

  /**
   * Merges the requests of the last `rangeMs` (ending in `nowSlot`) into `into`. Up to one minute this reads
   * the 10 s slots only; longer ranges add the whole minutes inside the range (coarser: the far edge falls on a minute boundary).
   */
  collect(nowSlot: number, rangeMs: number, into: WindowView): WindowView {
    const slotsBack = Math.max(1, Math.ceil(rangeMs / SLOT_MS));
    const firstSlot = nowSlot - slotsBack + 1;
    for (let p = 0; p < SLOTS; p++) {
      const id = this.slots[p * RECORD + ID]!;
      if (id < firstSlot || id > nowSlot) continue;
      into.sketch.merge(this.slotSketches[p]!);
      addRecord(into, this.slots, p * RECORD);
    }
    if (slotsBack > SLOTS) {
      // Whole minutes only, so the view never reaches further back than the range.
      const firstMinute = Math.ceil(firstSlot / SLOTS_PER_MINUTE);
      const lastMinute = Math.floor(nowSlot / SLOTS_PER_MINUTE);
      for (let m = 0; m < MINUTES; m++) {
        const id = this.minutes[m * RECORD + ID]!;
        if (id < firstMinute || id > lastMinute) continue;
        const sketch = this.minuteSketches[m];
        if (sketch) into.sketch.merge(sketch);
        addRecord(into, this.minutes, m * RECORD);
      }
    }
    return into;
  }

  /** Bytes held by this window's sketches (bucket arrays plus fixed counters), for memory statements. */
  get bytes(): number {
    let total = (SLOTS + MINUTES) * RECORD * 8;
    for (const sketch of this.slotSketches) total += sketch.bucketBytes + 64;
    for (const sketch of this.minuteSketches) if (sketch) total += sketch.bucketBytes + 64;
    return total;
  }
}
