import * as tf from '@tensorflow/tfjs-core';
import type { QuantizationJob } from '../../shared/compression-job.js';
import { betweenVariants, evaluateProgress, type CompressionContext } from './compression-context.js';
import { restorationError } from './int8-quantization.js';
import { calibrateActivations } from './layer-calibration.js';
import { encodeModelTensors } from './package-tensor-codec.js';
import { modelWithTensors } from './package-model.js';
import { measureAccuracy, restoredTensors, storeVariant } from './variant-measure.js';

/**
 * Post-training quantization: one variant per dtype (`int8`, `float16`), each measured on the
 * weights its package restores. Inference dequantizes them to float32 first (no int8 kernels
 * yet), so its speed is the fp32 model's and says so (`inferencePath: dequantized-fp32`). int8's
 * activation ranges are calibrated on the first `calibrationSamples` validation examples and
 * stored in the manifest for an int8 inference path.
 */
export async function quantizationRun(ctx: CompressionContext, job: QuantizationJob): Promise<'done' | 'stopped'> {
  const { dataset, original, target } = ctx;
  const scheme = { granularity: job.scheme, symmetric: job.symmetric };
  for (const dtype of job.dtypes) {
    if (await betweenVariants(ctx, 0)) return 'stopped';
    const encoded = encodeModelTensors(original, dtype === 'int8' ? { int8: scheme } : 'float16');
    const restored = restoredTensors(encoded, target.architecture);
    const model = modelWithTensors(target.architecture, restored);
    try {
      const calibration = dtype === 'int8' ? calibrateActivations(target.architecture, restored, dataset.validation, dataset.featureSize, job.calibrationSamples) : undefined;
      const measured = measureAccuracy(dataset, model, evaluateProgress(ctx));
      const variant = storeVariant(target, {
        label: dtype,
        compression: {
          kind: 'quantization',
          dtype,
          ...(dtype === 'int8' ? { granularity: job.scheme, symmetric: job.symmetric } : {}),
          ...(calibration ? { calibrationSamples: calibration.samples } : {}),
        },
        tensors: encoded,
        ...(calibration ? { activations: calibration.ranges } : {}),
        metrics: {
          ...measured,
          inferencePath: 'dequantized-fp32',
          layerErrors: original.map((t, i) => restorationError(t.name, t.values, restored[i]!.values)),
        },
      });
      ctx.emit({ type: 'variant', time: ctx.now(), variant });
    } finally {
      tf.dispose([...model.variables]);
    }
  }
  return 'done';
}
