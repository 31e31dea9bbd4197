import type { ModelKind } from '../../shared/run-config.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { InputError } from '../input-error.js';
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
      if (data.inputShape.join('×') !== '28×28×1') {
        throw new InputError('model', `model: cnn needs 28×28×1 images (got input shape ${data.inputShape.join('×')})`);
      }
      return cnnModel(outputs, seed);
  }
}
