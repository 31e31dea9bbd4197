import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../shared/rpc-protocol.js';
import { TrainerMessage, type PeerStartCommand, type TrainerCommand } from '../../shared/trainer-protocol.js';
import { datasetIn } from '../datasets/dataset-files.js';
import type { SpawnTrainer, TrainerProcess } from '../trainer-process.js';

const STDERR_TAIL_LINES = 20;

export interface PeerTrainerEvents {
  message(trainerId: string, message: TrainerMessage): void;
  exit(trainerId: string, code: number | null, signal: string | null, stderrTail: string[]): void;
}

/**
 * An agent's side of data-parallel runs other hosts coordinate: the trainers it started as their
 * peers, by id. One at a time, and not beside a run of this host's own, so two jobs never fight
 * over the node's cores unseen.
 */
export class PeerTrainers {
  private readonly running = new Map<string, TrainerProcess>();

  constructor(
    private readonly deps: {
      spawnTrainer: SpawnTrainer;
      /** This node's Fashion-MNIST folder, used instead of the coordinator's path where set. */
      datasetDir?: string;
      /** Where a peer trainer may write (it never keeps checkpoints: its leader does). */
      scratchDir: string;
      /** This host's own training run, if any. */
      activeRunId: () => string | null;
      events: PeerTrainerEvents;
      env?: NodeJS.ProcessEnv;
    },
  ) {}

  /** `datasetFolder`: a dataset the coordinator sent this node (DatasetStore), read there instead of the config's path. */
  start(command: PeerStartCommand, datasetFolder?: string): string {
    const busy = this.deps.activeRunId() ?? [...this.running.keys()][0];
    if (busy) throw new ApiError({ code: 'conflict', message: `this node is busy training (${busy}); try again when it is done` });
    const trainerId = `peer-${randomBytes(8).toString('hex')}`;
    const checkpointDir = join(this.deps.scratchDir, trainerId);
    mkdirSync(checkpointDir, { recursive: true });
    const child = this.deps.spawnTrainer({ ...process.env, ...this.deps.env });
    const tail: string[] = [];
    this.running.set(trainerId, child);
    child.onMessage((raw) => {
      const parsed = TrainerMessage.safeParse(raw);
      if (parsed.success) this.deps.events.message(trainerId, parsed.data);
    });
    child.onOutputLine((line) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    });
    child.onExit((code, signal) => {
      this.running.delete(trainerId);
      rmSync(checkpointDir, { recursive: true, force: true });
      this.deps.events.exit(trainerId, code, signal, tail.slice());
    });
    const { dataset } = command.config;
    const config =
      datasetFolder !== undefined
        ? { ...command.config, dataset: datasetIn(dataset, datasetFolder) }
        : dataset.kind === 'fashion-mnist' && this.deps.datasetDir
          ? { ...command.config, dataset: { ...dataset, dir: this.deps.datasetDir } }
          : command.config;
    child.send({ ...command, config, checkpointDir } satisfies TrainerCommand);
    return trainerId;
  }

  command(trainerId: string, command: TrainerCommand): void {
    if (command.type === 'start' || command.type === 'evaluate' || command.type === 'load-model' || command.type === 'predict') {
      throw new ApiError({ code: 'invalid', message: `command: a running peer trainer takes ring, pause, resume, stop or set-hyperparams, not ${command.type}` });
    }
    this.trainer(trainerId).send(command);
  }

  kill(trainerId: string): void {
    this.trainer(trainerId).kill('SIGKILL');
  }

  /** Every peer trainer, when the agent shuts down. */
  killAll(): void {
    for (const child of this.running.values()) child.kill('SIGKILL');
  }

  private trainer(trainerId: string): TrainerProcess {
    const child = this.running.get(trainerId);
    if (!child) throw new ApiError({ code: 'not-found', message: `trainerId: no peer trainer ${trainerId} on this node` });
    return child;
  }
}
