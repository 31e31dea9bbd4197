import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES } from '../shared/evaluation.js';
import type { RunConfig } from '../shared/run-config.js';
import { ApiError } from '../shared/rpc-protocol.js';
import type { DatasetInfo } from '../shared/trainer-protocol.js';
import type { RunStore } from './run-store.js';

/** What a trainer is handed of a finished run it builds on: the run's config and the checkpoint to load. */
export interface FinishedRunHandle {
  config: RunConfig;
  checkpointFile: string;
}

/** How a refusal words what the run was wanted for (distillation's teacher, compression's source). */
export interface FinishedRunUse {
  /** The config field that names the run, e.g. `distillation.teacherRunId`. */
  field: string;
  /** After "run X is still training; ": e.g. "distil from it once it is done". */
  whenTraining: string;
  /** After "run X is failed; ": e.g. "a teacher must be a run that finished (done)". */
  whenNotDone: string;
  /** After "run X has no checkpoint ": e.g. "to distil from". */
  checkpointFor: string;
}

export function refuseField(field: string, message: string): never {
  throw ApiError.forField(field, `${field}: ${message}`);
}

/**
 * A finished run another run builds on, checked before anything is stored or started: it exists,
 * no trainer is on it (`training(id)`), it is `done`, and it has a checkpoint (its best, else its
 * latest). Returns its handle and the dataset its trainer reported when it began.
 */
export function resolveFinishedRun(
  store: RunStore,
  runId: string,
  use: FinishedRunUse,
  training: (runId: string) => boolean,
): FinishedRunHandle & { dataset: DatasetInfo | undefined } {
  let exists = false;
  try {
    exists = existsSync(store.paths(runId).log);
  } catch {
    // Not even shaped like a run id.
  }
  if (!exists) refuseField(use.field, `no run named ${JSON.stringify(runId)}`);
  if (training(runId)) refuseField(use.field, `run ${runId} is still training; ${use.whenTraining}`);
  const summary = store.summary(runId, false);
  if (summary.status !== 'done') {
    refuseField(use.field, `run ${runId} ${summary.status === 'failed' ? `failed${summary.reason ? ` (${summary.reason})` : ''}` : `is ${summary.status}`}; ${use.whenNotDone}`);
  }
  const dir = store.paths(runId).checkpoints;
  const checkpointFile = [CHECKPOINT_FILES.best, CHECKPOINT_FILES.latest].map((name) => join(dir, name)).find((file) => existsSync(file));
  if (!checkpointFile) refuseField(use.field, `run ${runId} has no checkpoint ${use.checkpointFor}`);
  return { config: summary.config, checkpointFile, dataset: startedDataset(store, runId) };
}

/** The dataset the run's trainer reported when it began (its last start, if it was resumed). */
export function startedDataset(store: RunStore, runId: string): DatasetInfo | undefined {
  let info: DatasetInfo | undefined;
  for (const record of store.readLog(runId).records) if (record.type === 'started') info = record.dataset;
  return info;
}
