import * as tf from '@tensorflow/tfjs-core';
import type { CompressedVariant } from '../../shared/compression-variant.js';
import type { TrainerCommand, TrainerEvent } from '../../shared/trainer-protocol.js';
import { loadDataset } from '../data/load-dataset.js';
import { loadFinishedRunModel } from '../finished-run-model.js';
import { InputError } from '../input-error.js';
import type { TrainingControl } from '../training-control.js';
import { removeAbandonedTempFolders } from './atomic-folder.js';
import { evaluateProgress, type CompressionContext } from './compression-context.js';
import { architectureOf } from './model-architecture.js';
import { encodeModelTensors } from './package-tensor-codec.js';
import { pruningRun } from './pruning-run.js';
import { quantizationRun } from './quantization-run.js';
import { modelTensors, storeMeasuredVariant, testLoss, timeStoredVariants } from './variant-measure.js';

const FIELD = 'compression.sourceRunId';

/**
 * A compression run (the start command's `config.compression`): loads the data and the source
 * run's model, stores the fp32 original as the first variant, then each quantized or pruned one,
 * each announced with its size and test accuracy. At the end (or the stop) it times them side by
 * side and announces each again with its samples/s. It ends `done` with the original's test loss,
 * accuracy and speed (a compression run's own model is its source's), or `stopped`.
 */
export async function compressionRun(
  command: Extract<TrainerCommand, { type: 'start' }>,
  control: TrainingControl,
  emit: (event: TrainerEvent) => void,
  log: (level: 'info' | 'warn', message: string) => void,
): Promise<void> {
  const { config, runId, modelsDir } = command;
  const job = config.compression!;
  if (command.resume) throw new InputError('runId', `runId: run ${runId} is a compression run; start a new one instead of resuming it`);
  if (!modelsDir) throw new InputError('modelsDir', 'modelsDir: the start command did not say where to store the variants');
  const now = Date.now;
  const dataset = await loadDataset(
    config,
    (done, total) => emit({ type: 'progress', time: now(), phase: 'load-data', done, total }),
    (message) => log('warn', message),
  );
  const source = loadFinishedRunModel(command.source, dataset.info, FIELD, `source run ${job.sourceRunId}`);
  const stepsPerEpoch = Math.ceil(dataset.train.count / config.batchSize);
  emit({
    type: 'started',
    time: now(),
    dataset: dataset.info,
    totalSteps: job.kind === 'pruning' ? job.sparsities.length * job.finetuneEpochs * stepsPerEpoch : 0,
    stepsPerEpoch,
    elapsedMs: 0,
  });
  removeAbandonedTempFolders(modelsDir);
  let lastStep = 0;
  const stored: CompressedVariant[] = [];
  let stopped: TrainerEvent | undefined;
  const ctx: CompressionContext = {
    dataset,
    original: modelTensors(source.model),
    target: { runId, sourceRunId: job.sourceRunId, modelsDir, architecture: architectureOf(source.config, dataset.info), now },
    control,
    emit: (event) => {
      // The run's last step (fine-tuning's) is what `done` reports it ended at.
      if (event.type === 'step') lastStep = event.step;
      if (event.type === 'variant') stored.push(event.variant);
      // A stopped run still times the variants it keeps before it ends.
      if (event.type === 'stopped') stopped = event;
      else emit(event);
    },
    now,
  };
  try {
    const fp32 = storeMeasuredVariant(
      ctx.target,
      dataset,
      { label: 'fp32', compression: { kind: 'none' }, tensors: encodeModelTensors(ctx.original, 'float32'), metrics: { inferencePath: 'fp32' } },
      evaluateProgress(ctx),
    );
    const loss = testLoss(dataset, source.model);
    ctx.emit({ type: 'variant', time: now(), variant: fp32 });
    const outcome = job.kind === 'quantization' ? await quantizationRun(ctx, job) : await pruningRun(ctx, job, config);
    const timed = timeStoredVariants(ctx.target, dataset, stored, (done, total) => emit({ type: 'progress', time: now(), phase: 'time-inference', done, total }));
    for (const variant of timed) emit({ type: 'variant', time: now(), variant });
    if (outcome === 'stopped') return emit(stopped ?? { type: 'stopped', time: now(), step: lastStep });
    emit({ type: 'done', time: now(), step: lastStep, testLoss: loss, testAccuracy: fp32.metrics.testAccuracy, testSamplesPerSec: timed[0]!.metrics.samplesPerSec });
  } finally {
    tf.dispose([...source.model.variables]);
  }
}
