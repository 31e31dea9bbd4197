import type { QuantizationJob } from '../../shared/compression-job.js';
import { betweenVariants, evaluateProgress, type CompressionContext } from './compression-context.js';
import { int8Unavailable } from './int8-dense-stack.js';
import { restorationError } from './int8-quantization.js';
import { calibrateActivations } from './layer-calibration.js';
import { encodeModelTensors } from './package-tensor-codec.js';
import { restoredTensors, storeMeasuredVariant } from './variant-measure.js';

/**
 * Post-training quantization: one variant per dtype (`int8`, `float16`). int8's activation ranges
 * are calibrated layer by layer on the first `calibrationSamples` validation examples and stored
 * in the manifest; an int8 mlp then runs on the int8 kernels with them (`inferencePath: int8`).
 * Where there are none (a cnn, another backend than hpc-native), and for float16, inference
 * restores float32 weights first and says so (`dequantized-fp32`); the run's log says why.
 */
export async function quantizationRun(ctx: CompressionContext, job: QuantizationJob): Promise<'done' | 'stopped'> {
  const { dataset, original, target } = ctx;
  const scheme = { granularity: job.scheme, symmetric: job.symmetric };
  for (const dtype of job.dtypes) {
    if (await betweenVariants(ctx, 0)) return 'stopped';
    const encoded = encodeModelTensors(original, dtype === 'int8' ? { int8: scheme } : 'float16');
    const restored = restoredTensors(encoded, target.architecture);
    const calibration = dtype === 'int8' ? calibrateActivations(target.architecture, restored, dataset.validation, dataset.featureSize, job.calibrationSamples) : undefined;
    const noInt8Kernels = dtype === 'int8' ? int8Unavailable(target.architecture) : null;
    if (noInt8Kernels) ctx.emit({ type: 'log', time: ctx.now(), level: 'info', message: `int8 runs dequantized to float32: ${noInt8Kernels}` });
    const variant = storeMeasuredVariant(
      target,
      dataset,
      {
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
          inferencePath: dtype === 'int8' && !noInt8Kernels ? 'int8' : 'dequantized-fp32',
          layerErrors: original.map((t, i) => restorationError(t.name, t.values, restored[i]!.values)),
        },
      },
      evaluateProgress(ctx),
    );
    ctx.emit({ type: 'variant', time: ctx.now(), variant });
  }
  return 'done';
}
