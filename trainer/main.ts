import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../shared/run-config.js';
import { TrainerCommand, TrainerEvent, type BackendChoice } from '../shared/trainer-protocol.js';
import { chooseBackend } from './backend-chain.js';
import { readCheckpoint, writeCheckpoint, type TrainingPosition } from './checkpoint.js';
import { loadDataset } from './data/load-dataset.js';
import { InputError } from './input-error.js';
import { createModel } from './models/create-model.js';
import type { Model } from './models/model.js';
import { createOptimizer } from './optimizers/create-optimizer.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { connectToParent } from './parent-channel.js';
import { TrainingControl } from './training-control.js';
import { freshPosition, TrainingLoop } from './training-loop.js';

/** Exit codes the supervisor reads: 0 done or stopped, 1 crashed, 2 bad input. */
const EXIT = { ok: 0, crashed: 1, badInput: 2 } as const;

const parent = connectToParent();
const control = new TrainingControl();
let started = false;

function emit(event: TrainerEvent): void {
  const checked = TrainerEvent.safeParse(event);
  if (!checked.success) {
    process.stderr.write(`trainer: refusing to send a malformed ${event.type} event: ${checked.error.message}\n`);
    return;
  }
  parent.send(checked.data);
}

const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', time: Date.now(), level, message });

parent.onMessage((raw) => {
  const parsed = TrainerCommand.safeParse(raw);
  if (!parsed.success) {
    log('warn', `rejected a malformed command: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(command)'}: ${i.message}`).join('; ')}`);
    return;
  }
  const command = parsed.data;
  switch (command.type) {
    case 'start':
      if (started) return log('warn', 'rejected start: this trainer is already running a run');
      started = true;
      void train(command).then(exit, fail);
      return;
    case 'pause':
      return control.pause();
    case 'resume':
      return control.resume();
    case 'stop':
      if (!started) return void exit(EXIT.ok);
      return control.stop();
    case 'set-hyperparams':
      return control.change(command.change);
  }
});

// If the host dies, stop cleanly rather than train on as an orphan.
parent.onDisconnect(() => (started ? control.stop() : void exit(EXIT.ok)));

let backend: BackendChoice;
try {
  backend = await chooseBackend(process.env.HPC_STUDIO_BACKEND);
} catch (error) {
  await fail(error);
}
emit({ type: 'ready', time: Date.now(), backend: backend!, pid: process.pid });

async function train(command: Extract<TrainerCommand, { type: 'start' }>): Promise<number> {
  const { config, runId, checkpointDir } = command;
  const checkpoint = command.resume ? readCheckpoint(checkpointDir) : null;
  if (command.resume && !checkpoint) throw new InputError('runId', `runId: run ${runId} has no checkpoint in ${checkpointDir} to resume from`);
  log('info', `backend ${backend.name}${backend.skipped.map((s) => `; ${s.name} skipped: ${s.reason}`).join('')}`);

  const dataset = await loadDataset(config, (done, total) =>
    emit({ type: 'progress', time: Date.now(), phase: 'load-data', done, total }),
  );
  const model = createModel(config.model, dataset.info, config.seed);
  const optimizer = createOptimizer(config.optimizer, model.variables, config.lr);
  let position = freshPosition(config);
  if (checkpoint) {
    restore(model, optimizer, checkpoint.tensors, checkpoint.optimizerUpdates);
    position = checkpoint.position;
  }
  const loop = new TrainingLoop({
    config,
    dataset,
    model,
    optimizer,
    control,
    emit,
    position,
    resumedFromStep: checkpoint ? checkpoint.position.step : undefined,
    saveCheckpoint: (at) => save(checkpointDir, runId, config, model, optimizer, at),
  });
  await loop.run();
  return EXIT.ok;
}

async function save(dir: string, runId: string, config: RunConfig, model: Model, optimizer: Optimizer, position: TrainingPosition): Promise<string> {
  const state = await optimizer.state();
  const tensors = await Promise.all(
    model.variables.map(async (v, i) => ({ name: model.names[i]!, shape: v.shape, values: (await v.data()) as Float32Array })),
  );
  for (const [slot, values] of Object.entries(state.slots)) {
    values.forEach((v, i) => tensors.push({ name: `slot:${slot}/${i}`, shape: model.variables[i]!.shape, values: v }));
  }
  return writeCheckpoint(dir, { runId, config, position, optimizerUpdates: state.updates, tensors });
}

function restore(model: Model, optimizer: Optimizer, tensors: { name: string; values: Float32Array }[], updates: number): void {
  const byName = new Map(tensors.map((t) => [t.name, t.values]));
  model.variables.forEach((v, i) => {
    const values = byName.get(model.names[i]!);
    if (!values || values.length !== v.size) throw new Error(`checkpoint does not match the model at ${model.names[i]}`);
    v.assign(tf.tensor(values, v.shape));
  });
  const slots: Record<string, Float32Array[]> = {};
  for (const [name, values] of byName) {
    const m = /^slot:(\w+)\/(\d+)$/.exec(name);
    if (m) (slots[m[1]!] ??= [])[Number(m[2])] = values;
  }
  optimizer.restore({ updates, slots });
}

async function exit(code: number): Promise<never> {
  await parent.flush();
  process.exit(code);
}

async function fail(error: unknown): Promise<never> {
  if (error instanceof InputError) {
    emit({ type: 'error', time: Date.now(), field: error.field, message: error.message });
    return exit(EXIT.badInput);
  }
  process.stderr.write(`trainer crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return exit(EXIT.crashed);
}
