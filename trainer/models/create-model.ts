import type { ModelSpec } from '../../shared/model-spec.js';
import type { ModelKind } from '../../shared/run-config.js';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { cnnModel } from './cnn.js';
import { linearModel } from './linear.js';
import type { LayerRange, Model } from './model.js';
import { mlpModel } from './mlp.js';

/**
 * The run's model, or with `hold` the part of it a pipeline stage holds. `spec`: the run's config
 * (so an mlp gets its hidden widths), or a bare kind (the default widths).
 */
export function createModel(spec: ModelKind | ModelSpec, data: DatasetInfo, seed: number, hold?: LayerRange): Model {
  const { model: kind, hidden } = typeof spec === 'string' ? { model: spec, hidden: undefined } : spec;
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  const outputs = data.task === 'classification' ? data.classes! : 1;
  switch (kind) {
    case 'linear':
      return linearModel(inputs, outputs, seed, hold);
    case 'mlp':
      return mlpModel(inputs, outputs, seed, hold, hidden);
    case 'cnn':
      return cnnModel(data.inputShape, outputs, seed, hold);
  }
}
