type NumberArray = Float64Array | Float32Array;

/** A typed-array column that grows by doubling: a million points without a million objects. */
export class GrowableColumn<T extends NumberArray> {
  length = 0;

  constructor(
    private data: T,
    private readonly make: (capacity: number) => T,
  ) {}

  static f64(capacity = 1024): GrowableColumn<Float64Array> {
    return new GrowableColumn(new Float64Array(capacity), (n) => new Float64Array(n));
  }

  static f32(capacity = 1024): GrowableColumn<Float32Array> {
    return new GrowableColumn(new Float32Array(capacity), (n) => new Float32Array(n));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  /** The filled part, without copying. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** Takes over `values` as the column's contents (from a cache file). */
  replace(values: T): void {
    this.data = values.length > 0 ? values : this.make(1024);
    this.length = values.length;
  }
}
