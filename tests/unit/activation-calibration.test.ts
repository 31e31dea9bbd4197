import { describe, expect, it } from 'vitest';
import { ActivationCalibration } from '../../trainer/compression/activation-calibration.js';
import { buildModelPackage } from '../../trainer/compression/model-package-file.js';
import { encodeModelTensors } from '../../trainer/compression/package-tensor-codec.js';
import { LINEAGE, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors } from '../support/compression-fixtures.js';

describe('activation calibration', () => {
  it('keeps each layer\'s range over every batch and gives int8 parameters that cover it without clipping', () => {
    const calibration = new ActivationCalibration();
    calibration.observe('input', Float32Array.from([0, 0.5, 1]));
    calibration.observe('dense1', Float32Array.from([0, 3, 1.5]));
    calibration.countSamples(3);
    calibration.observe('input', Float32Array.from([0.25, 0.75]));
    calibration.observe('dense1', Float32Array.from([6, 0.1]));
    calibration.countSamples(2);
    expect(calibration.sampleCount).toBe(5);
    const ranges = calibration.ranges();
    expect(ranges.map((r) => [r.layer, r.min, r.max])).toEqual([['input', 0, 1], ['dense1', 0, 6]]);
    for (const r of ranges) {
      // A ReLU's range starts at 0: the zero point sits at the bottom and the whole int8 range covers [0, max].
      expect(r.zeroPoint).toBe(-127);
      expect((127 - r.zeroPoint) * r.scale).toBeGreaterThanOrEqual(r.max);
      expect((-128 - r.zeroPoint) * r.scale).toBeLessThanOrEqual(r.min);
    }
  });

  it('refuses a non-finite activation, naming the layer', () => {
    expect(() => new ActivationCalibration().observe('dense2', Float32Array.from([1, NaN]))).toThrow(/dense2: value 1 of the calibration batch is NaN/);
  });

  it('travels in the package manifest', () => {
    const calibration = new ActivationCalibration();
    calibration.observe('dense1', Float32Array.from([0, 2]));
    const { manifest } = buildModelPackage({
      id: 'calibrated',
      architecture: MLP_ARCHITECTURE,
      tensors: encodeModelTensors(parameterTensors(MLP_SHAPES, 1), { int8: { granularity: 'per-channel', symmetric: true } }),
      activations: calibration.ranges(),
      metrics: { inferencePath: 'dequantized-fp32' },
      lineage: { ...LINEAGE, compression: { kind: 'quantization', dtype: 'int8', granularity: 'per-channel', symmetric: true, calibrationSamples: 1 } },
    });
    expect(manifest.activations).toEqual(calibration.ranges());
  });
});
