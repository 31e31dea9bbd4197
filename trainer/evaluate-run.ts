import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationEvent } from '../shared/evaluation.js';
import type { TrainerCommand, TrainerEvent } from '../shared/trainer-protocol.js';
import { BEST_CHECKPOINT_FILE, CHECKPOINT_FILE, readCheckpoint, type Checkpoint } from './checkpoint.js';
import { loadDataset } from './data/load-dataset.js';
import { InputError } from './input-error.js';
import { createModel } from './models/create-model.js';
import { evaluateTestSet } from './test-set-evaluation.js';
import { restoreParameters } from './training-snapshot.js';

/** The checkpoint a finished run is judged by: its best epoch's, else its latest. */
export function evaluationCheckpoint(dir: string): { which: 'best' | 'latest'; file: string; checkpoint: Checkpoint } | null {
  for (const [which, name] of [['best', BEST_CHECKPOINT_FILE], ['latest', CHECKPOINT_FILE]] as const) {
    const checkpoint = readCheckpoint(dir, name);
    if (checkpoint) return { which, file: join(dir, name), checkpoint };
  }
  return null;
}

/** The `evaluate` command: the test split through the chosen checkpoint's model, answered by one `evaluation` event. */
export async function evaluateRun(
  command: Extract<TrainerCommand, { type: 'evaluate' }>,
  emit: (event: TrainerEvent | EvaluationEvent) => void,
): Promise<void> {
  const { config, checkpointDir, runId } = command;
  const chosen = evaluationCheckpoint(checkpointDir);
  if (!chosen) throw new InputError('runId', `runId: run ${runId} has no checkpoint in ${checkpointDir} to evaluate`);
  const sha256 = createHash('sha256').update(readFileSync(chosen.file)).digest('hex');
  const progress = (phase: 'load-data' | 'evaluate') => (done: number, total: number) =>
    emit({ type: 'progress', time: Date.now(), phase, done, total });
  const dataset = await loadDataset(config, progress('load-data'));
  const model = createModel(config, dataset.info, config.seed);
  restoreParameters(model, chosen.checkpoint);
  const target = config.dataset.kind === 'csv' ? config.dataset.target : 'label';
  const evaluation = evaluateTestSet(dataset, model, target, progress('evaluate'));
  const { position } = chosen.checkpoint;
  emit({
    type: 'evaluation',
    time: Date.now(),
    source: {
      checkpoint: chosen.which,
      step: position.step,
      // A checkpoint at an epoch's end sits at the next epoch's start.
      epoch: position.epochOffset === 0 ? position.epoch - 1 : position.epoch,
      sha256,
    },
    evaluation,
  });
}
