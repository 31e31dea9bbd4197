import type * as tf from '@tensorflow/tfjs-core';
import type { OptimizerKind } from '../../shared/run-config.js';
import { Adam } from './adam.js';
import { Momentum } from './momentum.js';
import type { Optimizer } from './optimizer.js';
import { Sgd } from './sgd.js';

export function createOptimizer(kind: OptimizerKind, params: readonly tf.Variable[], lr: number): Optimizer {
  switch (kind) {
    case 'sgd':
      return new Sgd(params, lr);
    case 'momentum':
      return new Momentum(params, lr);
    case 'adam':
      return new Adam(params, lr);
  }
}
