import { basename } from 'node:path';
import { describeModel } from '../shared/model-spec.js';
import type { DatasetInfo, TrainerCommand } from '../shared/trainer-protocol.js';
import { loadFinishedRunModel } from './finished-run-model.js';
import type { Model } from './models/model.js';

const FIELD = 'distillation.teacherRunId';

/**
 * A distilled run's teacher: the model its config names, with the weights of the checkpoint the
 * host chose (its best, else its latest). It only predicts; the student's optimizer never sees it.
 */
export function loadTeacher(command: Extract<TrainerCommand, { type: 'start' }>, data: DatasetInfo): { model: Model; description: string } {
  const { distillation } = command.config;
  if (!distillation) throw new Error('loadTeacher: the run is not distilled');
  const { model, checkpoint, config } = loadFinishedRunModel(command.teacher, data, FIELD, `teacher run ${distillation.teacherRunId}`);
  const parameters = model.variables.reduce((sum, v) => sum + v.size, 0);
  const description = `teacher run ${distillation.teacherRunId} (${describeModel(config)}, ${parameters.toLocaleString('en')} parameters; ${basename(command.teacher!.checkpointFile)} at step ${checkpoint.position.step})`;
  return { model, description };
}
