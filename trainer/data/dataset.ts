import type { DatasetInfo } from '../../shared/trainer-protocol.js';

/** Examples stored row-major: `x` holds `count × featureSize` floats. */
export interface Split {
  count: number;
  x: Float32Array;
  /** Class indices (classification) or target values (regression). */
  y: Int32Array | Float32Array;
}

/** For regression: features and target are standardised for training; this maps back to the CSV's units. */
export interface Standardisation {
  featureMean: Float64Array;
  featureStd: Float64Array;
  targetMean: number;
  targetStd: number;
}

/** For images: pixels (0–1) were standardised per channel (one entry = every channel); this maps them back for display. */
export interface PixelStandardisation {
  mean: number[];
  std: number[];
}

export interface Dataset {
  info: DatasetInfo;
  featureSize: number;
  train: Split;
  validation: Split;
  test: Split;
  standardisation?: Standardisation;
  pixelStandardisation?: PixelStandardisation;
}

export type LoadProgress = (done: number, total: number) => void;

/** The last twelfth of the training examples (at least one) is held out: Fashion-MNIST's classic 55,000 / 5,000 split. */
export function holdOutValidation(count: number): { train: number; validation: number } {
  const validation = Math.max(1, Math.floor(count / 12));
  return { train: count - validation, validation };
}

export function sliceSplit(split: Split, featureSize: number, from: number, to: number): Split {
  return {
    count: to - from,
    x: split.x.subarray(from * featureSize, to * featureSize),
    y: split.y.subarray(from, to),
  };
}
