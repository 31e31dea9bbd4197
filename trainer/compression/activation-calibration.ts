import type { ActivationRange } from '../../shared/model-package.js';
import { asymmetricRange } from './int8-quantization.js';

/**
 * Collects each layer's activation range over a held-out calibration slice, batch by batch, for an
 * int8 inference path: min and max of everything seen (so nothing in the slice clips), turned into
 * asymmetric int8 parameters, as ReLU outputs are never negative and would waste half of a symmetric range.
 */
export class ActivationCalibration {
  private readonly seen = new Map<string, { min: number; max: number }>();
  private samples = 0;

  /** One batch's values of `layer`'s output (or `input`). */
  observe(layer: string, values: Float32Array): void {
    let range = this.seen.get(layer);
    if (!range) this.seen.set(layer, (range = { min: Infinity, max: -Infinity }));
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`${layer}: value ${i} of the calibration batch is ${v}`);
      if (v < range.min) range.min = v;
      if (v > range.max) range.max = v;
    }
  }

  /** Counts the examples calibrated on, for the lineage's `calibrationSamples`. */
  countSamples(batchSize: number): void {
    this.samples += batchSize;
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** Each observed layer's range, in the order first seen. */
  ranges(): ActivationRange[] {
    return [...this.seen].map(([layer, { min, max }]) => {
      const [scale, zeroPoint] = asymmetricRange(min, max);
      return { layer, min, max, scale, zeroPoint };
    });
  }
}
