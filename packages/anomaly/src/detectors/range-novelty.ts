/**
 * Sliding-window minimum and maximum with monotonic deques (amortised O(1) per point, memory ≤ capacity):
 * the classic "ascending minima" algorithm (Lemire, "Streaming maximum-minimum filter using no more than
 * three comparisons per element", 2006).
 */
export class SlidingRange {
  readonly capacity: number;
  private readonly maxValues: Float64Array;
  private readonly maxIndices: Float64Array;
  private readonly minValues: Float64Array;
  private readonly minIndices: Float64Array;
  private maxHead = 0;
  private maxLength = 0;
  private minHead = 0;
  private minLength = 0;
  private index = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.maxValues = new Float64Array(capacity);
    this.maxIndices = new Float64Array(capacity);
    this.minValues = new Float64Array(capacity);
    this.minIndices = new Float64Array(capacity);
  }

  get size(): number {
    return Math.min(this.index, this.capacity);
  }

  push(value: number): void {
    const expired = this.index - this.capacity;
    const capacity = this.capacity;
    if (this.maxLength > 0 && (this.maxIndices[this.maxHead] as number) <= expired) {
      this.maxHead = (this.maxHead + 1) % capacity;
      this.maxLength -= 1;
    }
    if (this.minLength > 0 && (this.minIndices[this.minHead] as number) <= expired) {
      this.minHead = (this.minHead + 1) % capacity;
      this.minLength -= 1;
    }
    while (this.maxLength > 0 && (this.maxValues[(this.maxHead + this.maxLength - 1) % capacity] as number) <= value) this.maxLength -= 1;
    const maxSlot = (this.maxHead + this.maxLength) % capacity;
    this.maxValues[maxSlot] = value;
    this.maxIndices[maxSlot] = this.index;
    this.maxLength += 1;
    while (this.minLength > 0 && (this.minValues[(this.minHead + this.minLength - 1) % capacity] as number) >= value) this.minLength -= 1;
    const minSlot = (this.minHead + this.minLength) % capacity;
    this.minValues[minSlot] = value;
    this.minIndices[minSlot] = this.index;
    this.minLength += 1;
    this.index += 1;
  }

  max(): number {
    return this.maxLength === 0 ? Number.NaN : (this.maxValues[this.maxHead] as number);
  }

  min(): number {
    return this.minLength === 0 ? Number.NaN : (this.minValues[this.minHead] as number);
  }

  clear(): void {
    this.maxHead = 0;
    this.maxLength = 0;
    this.minHead = 0;
    this.minLength = 0;
    this.index = 0;
  }
}
