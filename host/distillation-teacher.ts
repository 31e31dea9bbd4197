import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { CHECKPOINT_FILES } from '../shared/evaluation.js';
import { dataShapeOf, parameterCount } from '../shared/memory-estimate.js';
import { describeModel } from '../shared/model-spec.js';
import { describeDataset, type RunConfig } from '../shared/run-config.js';
import { ApiError } from '../shared/rpc-protocol.js';
import type { DatasetInfo } from '../shared/trainer-protocol.js';
import type { RunStore } from './run-store.js';

const FIELD = 'distillation.teacherRunId';

/** What the trainer of a distilled run is handed: the teacher's config and the checkpoint to load. */
export interface TeacherHandle {
  config: RunConfig;
  checkpointFile: string;
}

function refuse(field: string, message: string): never {
  throw new ApiError({ code: 'invalid', message: `${field}: ${message}`, fields: [{ field, message: `${field}: ${message}` }] });
}

/**
 * Checks a distilled run's teacher before any trainer starts: a finished (`done`) classification
 * run on the same dataset, with more parameters than the student and a checkpoint to load (its
 * best, else its latest). `training(id)`: whether a trainer is training that run now.
 */
export function resolveTeacher(store: RunStore, student: RunConfig, training: (runId: string) => boolean): TeacherHandle {
  const { distillation } = student;
  if (!distillation) throw new Error('resolveTeacher: the run is not distilled');
  const id = distillation.teacherRunId;
  let exists = false;
  try {
    exists = existsSync(store.paths(id).log);
  } catch {
    // Not even shaped like a run id.
  }
  if (!exists) refuse(FIELD, `no run named ${JSON.stringify(id)}`);
  if (training(id)) refuse(FIELD, `run ${id} is still training; distil from it once it is done`);
  const summary = store.summary(id, false);
  if (summary.status !== 'done') {
    refuse(FIELD, `run ${id} ${summary.status === 'failed' ? `failed${summary.reason ? ` (${summary.reason})` : ''}` : `is ${summary.status}`}; a teacher must be a run that finished (done)`);
  }
  const teacher = summary.config;
  const info = startedDataset(store, id);
  if (info?.task !== 'classification') refuse(FIELD, `run ${id} is a regression run; distillation needs a classification teacher`);
  if (!isDeepStrictEqual(teacher.dataset, student.dataset)) {
    refuse('dataset', `the student must train on its teacher's dataset, ${describeDataset(teacher.dataset)} (got ${describeDataset(student.dataset)})`);
  }
  const shape = dataShapeOf(info);
  const teacherParams = parameterCount(teacher, shape);
  const studentParams = parameterCount(student, shape);
  if (studentParams >= teacherParams) {
    refuse(
      student.hidden ? 'hidden' : 'model',
      `the student (${describeModel(student)}, ${studentParams.toLocaleString('en')} parameters) must be smaller than its teacher run ${id} (${describeModel(teacher)}, ${teacherParams.toLocaleString('en')} parameters)`,
    );
  }
  const dir = store.paths(id).checkpoints;
  const checkpointFile = [CHECKPOINT_FILES.best, CHECKPOINT_FILES.latest].map((name) => join(dir, name)).find((file) => existsSync(file));
  if (!checkpointFile) refuse(FIELD, `run ${id} has no checkpoint to distil from`);
  return { config: teacher, checkpointFile };
}

/** The dataset the run's trainer reported when it began (its last start, if it was resumed). */
function startedDataset(store: RunStore, runId: string): DatasetInfo | undefined {
  let info: DatasetInfo | undefined;
  for (const record of store.readLog(runId).records) if (record.type === 'started') info = record.dataset;
  return info;
}
