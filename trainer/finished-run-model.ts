import { basename, dirname } from 'node:path';
import type { RunConfig } from '../shared/run-config.js';
import type { DatasetInfo } from '../shared/trainer-protocol.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import { InputError } from './input-error.js';
import { createModel } from './models/create-model.js';
import type { Model } from './models/model.js';
import { restoreParameters } from './training-snapshot.js';

/**
 * The model of a finished run another run builds on (a teacher, a compression source): the network
 * its config names, with the weights of the checkpoint the host chose. `field` and `what` ("teacher
 * run X") word the refusal when the handle is missing or the checkpoint cannot be read or does not fit.
 */
export function loadFinishedRunModel(
  handle: { config: RunConfig; checkpointFile: string } | undefined,
  data: DatasetInfo,
  field: string,
  what: string,
): { model: Model; checkpoint: Checkpoint; config: RunConfig } {
  if (!handle) throw new InputError(field, `${field}: the start command did not hand over ${what}'s config and checkpoint`);
  let checkpoint;
  try {
    checkpoint = readCheckpoint(dirname(handle.checkpointFile), basename(handle.checkpointFile));
  } catch (error) {
    throw new InputError(field, `${field}: ${what}'s checkpoint cannot be read: ${(error as Error).message}`);
  }
  if (!checkpoint) throw new InputError(field, `${field}: ${what} has no checkpoint at ${handle.checkpointFile}`);
  const model = createModel(handle.config, data, handle.config.seed);
  try {
    restoreParameters(model, checkpoint);
  } catch (error) {
    throw new InputError(field, `${field}: ${what}'s checkpoint does not fit its model on this dataset: ${(error as Error).message}`);
  }
  return { model, checkpoint, config: handle.config };
}
