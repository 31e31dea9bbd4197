import type { ModelKind } from '../../shared/run-config.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { cnnModel } from './cnn.js';
import { linearModel } from './linear.js';
import type { LayerRange, Model } from './model.js';
import { mlpModel } from './mlp.js';

/** The run's model, or with `hold` the part of it a pipeline stage holds. */
export function createModel(kind: ModelKind, data: DatasetInfo, seed: number, hold?: LayerRange): Model {
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  const outputs = data.task === 'classification' ? data.classes! : 1;
  switch (kind) {
    case 'linear':
      return linearModel(inputs, outputs, seed, hold);
    case 'mlp':
      return mlpModel(inputs, outputs, seed, hold);
    case 'cnn':
      return cnnModel(data.inputShape, outputs, seed, hold);
  }
}
