import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../shared/run-config.js';
import type { Checkpoint, TrainingPosition } from './checkpoint.js';
import type { Model } from './models/model.js';
import type { Optimizer } from './optimizers/optimizer.js';

/** An optimizer slot's tensor name: `slot:<slot>/<index of its parameter>`. */
export const SLOT_NAME = /^slot:(\w+)\/(\d+)$/;

/** Everything needed to continue a run exactly: parameters, optimizer slots and the position. */
export async function snapshot(runId: string, config: RunConfig, model: Model, optimizer: Optimizer, position: TrainingPosition): Promise<Checkpoint> {
  const state = await optimizer.state();
  const tensors = await Promise.all(
    model.variables.map(async (v, i) => ({ name: model.names[i]!, shape: v.shape, values: (await v.data()) as Float32Array })),
  );
  for (const [slot, values] of Object.entries(state.slots)) {
    values.forEach((v, i) => tensors.push({ name: `slot:${slot}/${i}`, shape: model.variables[i]!.shape, values: v }));
  }
  return { runId, config, position, optimizerUpdates: state.updates, tensors };
}

/** Loads a checkpoint's parameters and optimizer state into a freshly built model and optimizer of the same kind. */
export function restore(model: Model, optimizer: Optimizer, checkpoint: Checkpoint): void {
  restoreParameters(model, checkpoint);
  const byName = new Map(checkpoint.tensors.map((t) => [t.name, t.values]));
  const slots: Record<string, Float32Array[]> = {};
  for (const [name, values] of byName) {
    const m = SLOT_NAME.exec(name);
    if (m) (slots[m[1]!] ??= [])[Number(m[2])] = values;
  }
  optimizer.restore({ updates: checkpoint.optimizerUpdates, slots });
}

/** Loads only the parameters, for predicting. */
export function restoreParameters(model: Model, checkpoint: Checkpoint): void {
  const byName = new Map(checkpoint.tensors.map((t) => [t.name, t.values]));
  model.variables.forEach((v, i) => {
    const values = byName.get(model.names[i]!);
    if (!values || values.length !== v.size) throw new Error(`checkpoint does not match the model at ${model.names[i]}`);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  });
}
