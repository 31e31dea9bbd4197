import { createHash } from 'node:crypto';
import { PredictorEvent } from '../shared/deployment.js';
import { DEFAULT_MICRO_BATCHES } from '../shared/distributed.js';
import { EvaluationEvent } from '../shared/evaluation.js';
import { describeBackend, STEP_BATCH_MS, TrainerCommand, TrainerEvent, type BackendChoice } from '../shared/trainer-protocol.js';
import { chooseBackend } from './backend-chain.js';
import { BEST_CHECKPOINT_FILE, CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { evaluateRun } from './evaluate-run.js';
import { loadDataset } from './data/load-dataset.js';
import { InputError } from './input-error.js';
import { checkSchedule } from './lr-schedule.js';
import { createModel } from './models/create-model.js';
import { loadTeacher } from './distillation-teacher.js';
import { compressionRun } from './compression/compression-run.js';
import { ModelPredictor } from './model-predictor.js';
import type { LayerRange } from './models/model.js';
import { datasetFingerprint } from './data/dataset-fingerprint.js';
import { joinPeers } from './distributed/join-peers.js';
import { RingCommands } from './distributed/ring-commands.js';
import { joinPipeline } from './distributed/join-pipeline.js';
import type { PipelineStage } from './distributed/pipeline-stage.js';
import { ownedBy, slotsToWhole, stagePart } from './distributed/stage-checkpoint.js';
import { planStages } from './distributed/stage-plan.js';
import { broadcastState, mostAdvancedPeer, StateHeader } from './distributed/state-broadcast.js';
import { createOptimizer } from './optimizers/create-optimizer.js';
import { connectToParent } from './parent-channel.js';
import { StepBatcher } from './step-batcher.js';
import { TrainingControl } from './training-control.js';
import { freshPosition, TrainingLoop } from './training-loop.js';
import { restore, snapshot } from './training-snapshot.js';

/** Exit codes the supervisor reads: 0 done or stopped, 1 crashed, 2 bad input. */
const EXIT = { ok: 0, crashed: 1, badInput: 2 } as const;

const parent = connectToParent();
const control = new TrainingControl();
let started = false;

const steps = new StepBatcher((message) => parent.send(message), STEP_BATCH_MS);
/** A data-parallel peer's rings, as the host hands them out: once every peer's data port is open, and after each loss. */
const rings = new RingCommands();

function emit(event: TrainerEvent | EvaluationEvent): void {
  const checked = (event.type === 'evaluation' ? EvaluationEvent : TrainerEvent).safeParse(event);
  if (!checked.success) {
    process.stderr.write(`trainer: refusing to send a malformed ${event.type} event: ${checked.error.message}\n`);
    return;
  }
  if (checked.data.type === 'step') return steps.add(checked.data);
  steps.flush();
  parent.send(checked.data);
}

const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', time: Date.now(), level, message });

const predictor = new ModelPredictor((event) => {
  const checked = PredictorEvent.safeParse(event);
  if (!checked.success) return void process.stderr.write(`trainer: refusing to send a malformed ${event.type} event: ${checked.error.message}\n`);
  parent.send(checked.data);
});
/** A predictor holds no run: stopping it has nothing to save. */
const stopNow = () => (started && !predictor.serving ? control.stop() : void exit(EXIT.ok));

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
      // A start sent before `ready` waits for the backend; if none loads, the ready path reports it.
      void backendLoading.then((backend) => train(command, backend).then(exit, fail), () => {});
      return;
    case 'evaluate':
      if (started) return log('warn', 'rejected evaluate: this trainer is already busy');
      started = true;
      void backendLoading.then(() => evaluateRun(command, emit).then(() => exit(EXIT.ok), fail), () => {});
      return;
    case 'pause':
      return control.pause();
    case 'resume':
      return control.resume();
    case 'stop':
      return stopNow();
    case 'set-hyperparams':
      return control.change(command.change);
    case 'ring':
      return rings.push(command);
    case 'regroup':
      return control.regroup();
    case 'load-model':
      if (started) return log('warn', 'rejected load-model: this trainer is already busy');
      started = true;
      void backendLoading.then(() => predictor.load(command)).catch(fail);
      return;
    case 'predict':
      return predictor.predict(command);
    case 'add-peer':
      return log('warn', 'rejected add-peer: peers are added by the host that coordinates the run');
  }
});

// If the host dies, stop cleanly rather than train on as an orphan.
parent.onDisconnect(stopNow);
// A scheduler ending a job (Slurm at its time limit, scancel, preemption) signals every process
// of it, this one too: stop at the step with a checkpoint, as the host asks at the same moment.
process.on('SIGTERM', stopNow);

const backendLoading = chooseBackend(process.env.HPC_STUDIO_BACKEND);
backendLoading.then((backend) => emit({ type: 'ready', time: Date.now(), backend, pid: process.pid }), fail);

async function train(command: Extract<TrainerCommand, { type: 'start' }>, backend: BackendChoice): Promise<number> {
  const { config, runId, checkpointDir } = command;
  if (config.compression) {
    log('info', `backend ${describeBackend(backend)}`);
    await compressionRun(command, control, emit, log);
    return EXIT.ok;
  }
  const role = command.peer;
  const pipelined = role !== undefined && config.distribution?.parallel === 'model';
  // Only the leader reads checkpoints; the other peers are sent its state once the ring forms.
  const leads = !role || role.rank === 0;
  const checkpoint = command.resume && leads ? readCheckpoint(checkpointDir) : null;
  if (command.resume && leads && !checkpoint) throw new InputError('runId', `runId: run ${runId} has no checkpoint in ${checkpointDir} to resume from`);
  checkSchedule(config);
  log('info', `backend ${describeBackend(backend)}${backend.skipped.map((s) => `; ${s.name} skipped: ${s.reason}`).join('')}`);

  const dataset = await loadDataset(
    config,
    (done, total) => emit({ type: 'progress', time: Date.now(), phase: 'load-data', done, total }),
    (message) => log('warn', message),
  );
  const stages = pipelined ? pipelineStages(command, dataset.info) : undefined;
  const model = createModel(config, dataset.info, config.seed, stages?.[role!.rank]);
  if (stages && leads) {
    const described = stages.map(({ from, to }, i) => {
      const held = model.layers.slice(from, to);
      return `stage ${i + 1}: ${held.map((l) => l.name).join(', ')} (${held.reduce((sum, l) => sum + l.forwardMacs, 0).toLocaleString('en')} multiply-adds per sample)`;
    });
    log('info', `pipeline over ${stages.length} peers, ${config.distribution?.microBatches ?? DEFAULT_MICRO_BATCHES} micro-batches per step; ${described.join('; ')}`);
  }
  const teacher = config.distillation ? loadTeacher(command, dataset.info) : undefined;
  if (teacher) log('info', `distilling from ${teacher.description} at temperature ${config.distillation!.temperature}, alpha ${config.distillation!.alpha} (the weight of the labels' loss)`);
  const optimizer = createOptimizer(config.optimizer, model.variables, config.lr);
  let position = freshPosition(config);
  if (checkpoint && !pipelined) {
    restore(model, optimizer, checkpoint);
    position = checkpoint.position;
  }
  const announce = (port: number) => emit({ type: 'data-port', time: Date.now(), port, datasetFingerprint: datasetFingerprint(dataset) });
  let pipeline: PipelineStage | undefined;
  if (pipelined) {
    pipeline = await joinPipeline(role!, runId, model, announce, rings);
    if (command.resume) {
      // The leader read the whole checkpoint; each stage keeps its layers' part and passes the rest on.
      const part = await pipeline.scatter(checkpoint && { header: { position: checkpoint.position, optimizerUpdates: checkpoint.optimizerUpdates }, tensors: checkpoint.tensors }, (name) => ownedBy(name, model));
      const header = StateHeader.parse(part.header);
      restore(model, optimizer, { runId, config, ...header, tensors: stagePart(part.tensors, model) });
      position = header.position;
    }
  }
  const peers = role && !pipelined
    ? await joinPeers(role, runId, announce, rings, {
        broken: (error, generation) => emit({ type: 'ring-broken', time: Date.now(), generation, lostRank: error.rank, message: error.message }),
        awaiting: (generation) => emit({ type: 'awaiting-ring', time: Date.now(), generation }),
        synced: (generation) => emit({ type: 'synced', time: Date.now(), step: loop.position.step, generation, checksum: parameterChecksum(model) }),
      })
    : undefined;
  const loop = new TrainingLoop({
    config,
    dataset,
    model,
    optimizer,
    control,
    emit,
    position,
    resumedFromStep: command.resume && (checkpoint || pipelined) ? position.step : undefined,
    peers,
    pipeline,
    teacher: teacher?.model,
    saveCheckpoint: async (at, which) => {
      const file = which === 'best' ? BEST_CHECKPOINT_FILE : CHECKPOINT_FILE;
      const own = await snapshot(runId, config, model, optimizer, at);
      if (pipeline) {
        // Each stage holds part of the model: the leader writes the whole of it, as one run's checkpoint.
        const whole = await pipeline.gather(slotsToWhole(own.tensors, model));
        return whole ? writeCheckpoint(checkpointDir, { ...own, tensors: whole }, file) : '';
      }
      // Every peer holds the same weights; the leader alone keeps the run's checkpoints.
      return leads ? writeCheckpoint(checkpointDir, own, file) : '';
    },
  });
  if (peers) {
    // On every ring, the first included: the peer furthest along (the leader, at the start) sends
    // the others its parameters, optimizer state and position.
    peers.afterReform = async (group) => {
      const from = await mostAdvancedPeer(group, loop.position.step);
      loop.adopt(await broadcastState(group, from, runId, config, model, optimizer, loop.position));
    };
    await peers.level();
  }
  try {
    await loop.run();
  } finally {
    await (peers ?? pipeline)?.close();
  }
  return EXIT.ok;
}

/** The layers each stage of a model-parallel run holds: the model cut where its stages' work is most even. */
function pipelineStages(command: Extract<TrainerCommand, { type: 'start' }>, info: Parameters<typeof createModel>[1]): LayerRange[] {
  const { config, peer } = command;
  const layers = createModel(config, info, config.seed, { from: 0, to: 0 }).layers;
  if (layers.length < peer!.worldSize) {
    throw new InputError(
      'distribution.peers',
      `distribution.peers: the ${config.model} model has ${layers.length} layer${layers.length === 1 ? '' : 's'}, so a pipeline over it takes at most ${layers.length} peer${layers.length === 1 ? '' : 's'} (got ${peer!.worldSize})`,
    );
  }
  return planStages(layers, peer!.worldSize);
}

/** The first 16 hex digits of the SHA-256 of every parameter's bytes: peers that hold the same state say the same. */
function parameterChecksum(model: { variables: readonly { dataSync(): unknown }[] }): string {
  const hash = createHash('sha256');
  for (const v of model.variables) {
    const values = v.dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}

async function exit(code: number): Promise<never> {
  steps.flush();
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
