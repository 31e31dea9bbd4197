import type { ModelArchitecture } from '../../shared/model-package.js';
import type { RunConfig } from '../../shared/run-config.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import type { Checkpoint } from '../checkpoint.js';
import type { NamedTensor } from './magnitude-pruning.js';

/** What a package records of the run's model and data, to rebuild the network from. */
export function architectureOf(
  spec: Pick<RunConfig, 'model' | 'hidden'>,
  data: Pick<DatasetInfo, 'task' | 'inputShape' | 'classes'>,
): ModelArchitecture {
  return {
    model: spec.model,
    task: data.task,
    inputShape: [...data.inputShape],
    ...(data.task === 'classification' ? { classes: data.classes! } : {}),
    ...(spec.hidden ? { hidden: [...spec.hidden] } : {}),
  };
}

/** A checkpoint's model parameters, optimizer slots left out. */
export function checkpointParameters(checkpoint: Checkpoint): NamedTensor[] {
  return checkpoint.tensors.filter((t) => !t.name.startsWith('slot:'));
}
