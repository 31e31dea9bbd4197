import type { ModelKind } from '../../shared/run-config.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { cnnModel } from './cnn.js';
import { linearModel } from './linear.js';
import type { Model } from './model.js';
import { mlpModel } from './mlp.js';

export function createModel(kind: ModelKind, data: DatasetInfo, seed: number): Model {
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  const outputs = data.task === 'classification' ? data.classes! : 1;
  switch (kind) {
    case 'linear':
      return linearModel(inputs, outputs, seed);
    case 'mlp':
      return mlpModel(inputs, outputs, seed);
    case 'cnn':
      return cnnModel(data.inputShape, outputs, seed);
  }
}
