import { basename, dirname } from 'node:path';
import { describeModel } from '../shared/model-spec.js';
import type { DatasetInfo, TrainerCommand } from '../shared/trainer-protocol.js';
import { readCheckpoint } from './checkpoint.js';
import { InputError } from './input-error.js';
import { createModel } from './models/create-model.js';
import type { Model } from './models/model.js';
import { restoreParameters } from './training-snapshot.js';

const FIELD = 'distillation.teacherRunId';

/**
 * A distilled run's teacher: the model its config names, with the weights of the checkpoint the
 * host chose (its best, else its latest). It only predicts; the student's optimizer never sees it.
 */
export function loadTeacher(command: Extract<TrainerCommand, { type: 'start' }>, data: DatasetInfo): { model: Model; description: string } {
  const { distillation } = command.config;
  if (!distillation) throw new Error('loadTeacher: the run is not distilled');
  const teacher = command.teacher;
  if (!teacher) throw new InputError(FIELD, `${FIELD}: the start command did not hand over teacher run ${distillation.teacherRunId}'s config and checkpoint`);
  let checkpoint;
  try {
    checkpoint = readCheckpoint(dirname(teacher.checkpointFile), basename(teacher.checkpointFile));
  } catch (error) {
    throw new InputError(FIELD, `${FIELD}: teacher run ${distillation.teacherRunId}'s checkpoint cannot be read: ${(error as Error).message}`);
  }
  if (!checkpoint) throw new InputError(FIELD, `${FIELD}: teacher run ${distillation.teacherRunId} has no checkpoint at ${teacher.checkpointFile}`);
  const model = createModel(teacher.config, data, teacher.config.seed);
  try {
    restoreParameters(model, checkpoint);
  } catch (error) {
    throw new InputError(FIELD, `${FIELD}: teacher run ${distillation.teacherRunId}'s checkpoint does not fit its model on this dataset: ${(error as Error).message}`);
  }
  const parameters = model.variables.reduce((sum, v) => sum + v.size, 0);
  const description = `teacher run ${distillation.teacherRunId} (${describeModel(teacher.config)}, ${parameters.toLocaleString('en')} parameters; ${basename(teacher.checkpointFile)} at step ${checkpoint.position.step})`;
  return { model, description };
}
