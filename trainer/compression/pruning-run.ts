import * as tf from '@tensorflow/tfjs-core';
import type { PruningJob } from '../../shared/compression-job.js';
import type { LayerSparsityRow } from '../../shared/compression-variant.js';
import type { RunConfig } from '../../shared/run-config.js';
import type { TrainerEvent } from '../../shared/trainer-protocol.js';
import { InputError } from '../input-error.js';
import type { Model } from '../models/model.js';
import { createOptimizer } from '../optimizers/create-optimizer.js';
import { freshPosition, TrainingLoop } from '../training-loop.js';
import { betweenVariants, evaluateProgress, type CompressionContext } from './compression-context.js';
import { sparsityTable } from './magnitude-pruning.js';
import { encodeModelTensors } from './package-tensor-codec.js';
import { modelWithTensors } from './package-model.js';
import { gradualSparsity, PruningMasks } from './pruning-masks.js';
import { modelTensors, storeMeasuredVariant } from './variant-measure.js';

/** Where the loop's own bookkeeping is not the compression run's: it has one start and one end, and no checkpoints. */
const LOOP_ONLY = new Set<TrainerEvent['type']>(['started', 'done', 'checkpoint']);

/** `sparse-50`, `sparse-87.5`: a pruned variant's label. */
export function sparsityLabel(sparsity: number): string {
  return `sparse-${Number((sparsity * 100).toFixed(1))}`;
}

/**
 * Magnitude pruning: one variant per sparsity, each from the source's weights. One-shot prunes
 * once and fine-tunes with the mask held; gradual raises the sparsity epoch by epoch on the
 * cubic schedule to the target in the last. Fine-tuning is the training loop (live step and epoch
 * events, pause and stop), its steps counting on across variants, the optimizer re-applying the
 * masks after every update so pruned weights stay exactly 0. Stored as CSR (float32 values), so the
 * file shrinks with the sparsity; the per-layer sparsity table is measured on what is stored.
 */
export async function pruningRun(ctx: CompressionContext, job: PruningJob, config: RunConfig): Promise<'done' | 'stopped'> {
  const labels = job.sparsities.map(sparsityLabel);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice) throw new InputError('compression.sparsities', `compression.sparsities: two sparsities round to the same variant, ${twice}; give them at most 0.1 % apart`);
  let step = 0;
  for (const [i, sparsity] of job.sparsities.entries()) {
    if (await betweenVariants(ctx, step)) return 'stopped';
    const model = modelWithTensors(ctx.target.architecture, ctx.original);
    const masks = new PruningMasks(model);
    try {
      if (job.finetuneEpochs === 0) masks.prune(sparsity);
      else {
        ctx.emit({
          type: 'log',
          time: ctx.now(),
          level: 'info',
          message: `fine-tuning ${labels[i]} (${job.schedule}, ${job.finetuneEpochs} epoch${job.finetuneEpochs === 1 ? '' : 's'} at lr ${config.lr}) from step ${step + 1}`,
        });
        const finished = await fineTune(ctx, job, config, model, masks, sparsity, step);
        step = finished.step;
        if (finished.outcome === 'stopped') return 'stopped';
      }
      const tensors = modelTensors(model);
      const layers: LayerSparsityRow[] = sparsityTable(tensors).map(({ name, size, zeros, sparsity: s, prunable }) => ({ name, size, zeros, sparsity: s, prunable }));
      const variant = storeMeasuredVariant(
        ctx.target,
        ctx.dataset,
        {
          label: labels[i]!,
          compression: { kind: 'pruning', sparsity, schedule: job.schedule, finetuneEpochs: job.finetuneEpochs, valueType: 'float32' },
          tensors: encodeModelTensors(tensors, { csr: 'float32' }),
          metrics: { inferencePath: 'fp32' },
          layers,
        },
        evaluateProgress(ctx),
      );
      ctx.emit({ type: 'variant', time: ctx.now(), variant });
    } finally {
      masks.dispose();
      tf.dispose([...model.variables]);
    }
  }
  return 'done';
}

async function fineTune(
  ctx: CompressionContext,
  job: PruningJob,
  config: RunConfig,
  model: Model,
  masks: PruningMasks,
  sparsity: number,
  fromStep: number,
): Promise<{ outcome: 'done' | 'stopped'; step: number }> {
  const epochs = job.finetuneEpochs;
  const gradual = job.schedule === 'gradual';
  // The source's lr, constant: a tenth of it recovered far less (docs/architecture.md, Compression runs).
  const tuneConfig: RunConfig = { ...config, epochs, schedule: undefined, warmupSteps: undefined, earlyStopping: undefined };
  const optimizer = createOptimizer(config.optimizer, model.variables, config.lr);
  masks.hold(optimizer);
  masks.prune(gradual ? gradualSparsity(sparsity, 1, epochs) : sparsity);
  const loop = new TrainingLoop({
    config: tuneConfig,
    dataset: ctx.dataset,
    model,
    optimizer,
    control: ctx.control,
    emit: (event) => {
      if (LOOP_ONLY.has(event.type)) return;
      ctx.emit(event);
      // The loop reports each epoch's end before the next begins: the next epoch trains at its sparsity.
      if (gradual && event.type === 'epoch' && event.epoch < epochs) masks.prune(gradualSparsity(sparsity, event.epoch + 1, epochs));
    },
    position: { ...freshPosition(tuneConfig), step: fromStep },
    saveCheckpoint: async () => '',
  });
  try {
    const outcome = await loop.run();
    return { outcome, step: loop.position.step };
  } finally {
    optimizer.dispose();
  }
}
