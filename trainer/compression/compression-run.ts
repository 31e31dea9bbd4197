import * as tf from '@tensorflow/tfjs-core';
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
import { measureModel, modelTensors, storeVariant, testLoss } from './variant-measure.js';

const FIELD = 'compression.sourceRunId';

/**
 * A compression run (the start command's `config.compression`): loads the data and the source
 * run's model, stores and measures the fp32 original as the first variant, then each quantized or
 * pruned variant, and ends `done` with the original's test loss and accuracy (a compression run's
 * own model is its source's; the variants' figures are in their `variant` events), or `stopped`.
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
  const ctx: CompressionContext = {
    dataset,
    original: modelTensors(source.model),
    target: { runId, sourceRunId: job.sourceRunId, modelsDir, architecture: architectureOf(source.config, dataset.info), now },
    control,
    // The run's last step (fine-tuning's) is what `done` reports it ended at.
    emit: (event) => {
      if (event.type === 'step') lastStep = event.step;
      emit(event);
    },
    now,
  };
  try {
    const measured = measureModel(dataset, source.model, evaluateProgress(ctx));
    const loss = testLoss(dataset, source.model);
    const fp32 = storeVariant(ctx.target, {
      label: 'fp32',
      compression: { kind: 'none' },
      tensors: encodeModelTensors(ctx.original, 'float32'),
      metrics: { ...measured, inferencePath: 'fp32' },
    });
    ctx.emit({ type: 'variant', time: now(), variant: fp32 });
    const outcome = job.kind === 'quantization' ? await quantizationRun(ctx, job) : await pruningRun(ctx, job, config);
    if (outcome === 'stopped') return;
    ctx.emit({ type: 'done', time: now(), step: lastStep, testLoss: loss, testAccuracy: measured.testAccuracy, testSamplesPerSec: measured.samplesPerSec });
  } finally {
    tf.dispose([...source.model.variables]);
  }
}
