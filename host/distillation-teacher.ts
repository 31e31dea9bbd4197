import { isDeepStrictEqual } from 'node:util';
import { dataShapeOf, parameterCount } from '../shared/memory-estimate.js';
import { describeModel } from '../shared/model-spec.js';
import { describeDataset, type RunConfig } from '../shared/run-config.js';
import { refuseField, resolveFinishedRun, type FinishedRunHandle } from './finished-run-source.js';
import type { RunStore } from './run-store.js';

const FIELD = 'distillation.teacherRunId';

/** What the trainer of a distilled run is handed: the teacher's config and the checkpoint to load. */
export type TeacherHandle = FinishedRunHandle;

/**
 * Checks a distilled run's teacher before any trainer starts: a finished (`done`) classification
 * run on the same dataset, with more parameters than the student and a checkpoint to load (its
 * best, else its latest). `training(id)`: whether a trainer is training that run now.
 */
export function resolveTeacher(store: RunStore, student: RunConfig, training: (runId: string) => boolean): TeacherHandle {
  const { distillation } = student;
  if (!distillation) throw new Error('resolveTeacher: the run is not distilled');
  const id = distillation.teacherRunId;
  const { config: teacher, checkpointFile, dataset: info } = resolveFinishedRun(
    store,
    id,
    { field: FIELD, whenTraining: 'distil from it once it is done', whenNotDone: 'a teacher must be a run that finished (done)', checkpointFor: 'to distil from' },
    training,
  );
  if (info?.task !== 'classification') refuseField(FIELD, `run ${id} is a regression run; distillation needs a classification teacher`);
  if (!isDeepStrictEqual(teacher.dataset, student.dataset)) {
    refuseField('dataset', `the student must train on its teacher's dataset, ${describeDataset(teacher.dataset)} (got ${describeDataset(student.dataset)})`);
  }
  const shape = dataShapeOf(info);
  const teacherParams = parameterCount(teacher, shape);
  const studentParams = parameterCount(student, shape);
  if (studentParams >= teacherParams) {
    refuseField(
      student.hidden ? 'hidden' : 'model',
      `the student (${describeModel(student)}, ${studentParams.toLocaleString('en')} parameters) must be smaller than its teacher run ${id} (${describeModel(teacher)}, ${teacherParams.toLocaleString('en')} parameters)`,
    );
  }
  return { config: teacher, checkpointFile };
}
