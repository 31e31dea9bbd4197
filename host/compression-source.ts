import type { CompressionJob } from '../shared/compression-job.js';
import { RunConfig } from '../shared/run-config.js';
import { refuseField, resolveFinishedRun, type FinishedRunHandle } from './finished-run-source.js';
import type { RunStore } from './run-store.js';

const FIELD = 'compression.sourceRunId';

/**
 * A compression run's config: its source's (dataset, model, optimizer, lr, batch size: what
 * fine-tuning and the measurements use) with the job; epochs are the fine-tuning epochs where it
 * trains, else the source's. The source's distillation and peers are left out: the run loads the
 * finished model and works on one trainer.
 */
export function compressionRunConfig(source: RunConfig, job: CompressionJob): RunConfig {
  const { distillation: _distillation, distribution: _distribution, ...rest } = source;
  const trains = job.kind === 'pruning' && job.finetuneEpochs > 0;
  return RunConfig.parse({ ...rest, epochs: trains ? job.finetuneEpochs : source.epochs, compression: job });
}

/**
 * Checks a compression run's source before anything is stored or started (a finished training
 * run with a checkpoint; not a compression run, which has variants but no checkpoint of its own)
 * and gives the run's config and the source the trainer is handed.
 */
export function resolveCompressionSource(
  store: RunStore,
  job: CompressionJob,
  training: (runId: string) => boolean,
): { config: RunConfig; source: FinishedRunHandle } {
  const id = job.sourceRunId;
  let compressed: CompressionJob | undefined;
  try {
    compressed = store.summary(id, false).config.compression;
  } catch {
    // No such run: resolveFinishedRun says so.
  }
  if (compressed) refuseField(FIELD, `run ${id} is a compression run; compress the training run it came from (${compressed.sourceRunId})`);
  const found = resolveFinishedRun(
    store,
    id,
    { field: FIELD, whenTraining: 'compress it once it is done', whenNotDone: 'only a run that finished (done) can be compressed', checkpointFor: 'to compress' },
    training,
  );
  return { config: compressionRunConfig(found.config, job), source: { config: found.config, checkpointFile: found.checkpointFile } };
}
