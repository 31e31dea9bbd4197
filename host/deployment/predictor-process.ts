import { z } from 'zod';
import { PredictorEvent, type Predictions, type RowBatch } from '../../shared/deployment.js';
import type { ModelManifest } from '../../shared/model-package.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { describeBackend, TrainerEvent } from '../../shared/trainer-protocol.js';
import type { SpawnTrainer, TrainerProcess } from '../trainer-process.js';

const PredictorMessage = z.union([PredictorEvent, TrainerEvent]);
const STDERR_TAIL_LINES = 20;

type Pending = { resolve: (p: Predictions) => void; reject: (e: Error) => void };

/**
 * One model served by a trainer child (so predictions run on the trainer's backend and model
 * code): started by `load`, which resolves once the child checked and loaded the package.
 */
export class PredictorProcess {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private exited: Error | null = null;
  private readonly stderr: string[] = [];
  private readonly exitListeners: ((why: Error) => void)[] = [];

  private constructor(
    private readonly child: TrainerProcess,
    readonly manifest: ModelManifest,
    readonly backend: string,
  ) {}

  /** Starts a child, loads the package into it; a package that fails its checks rejects with an `invalid` ApiError naming `model`. */
  static load(spawn: SpawnTrainer, env: NodeJS.ProcessEnv, manifest: ModelManifest, weightsBase64: string): Promise<PredictorProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(env);
      let backend = '';
      let serving: PredictorProcess | null = null;
      let refused: ApiError | null = null;
      const stderr: string[] = [];
      child.onOutputLine((line) => {
        const tail = serving ? serving.stderr : stderr;
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
      });
      child.onMessage((raw) => {
        const parsed = PredictorMessage.safeParse(raw);
        if (!parsed.success) return;
        const message = parsed.data;
        if (serving) return serving.receive(message);
        switch (message.type) {
          case 'ready':
            backend = describeBackend(message.backend);
            child.send({ type: 'load-model', manifest, weightsBase64 });
            break;
          case 'error':
            refused = ApiError.forField(message.field ?? 'model', message.message);
            break;
          case 'model-loaded':
            serving = new PredictorProcess(child, manifest, backend);
            resolve(serving);
            break;
        }
      });
      child.onExit((code, signal) => {
        if (serving) return serving.died(code, signal);
        const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
        reject(refused ?? new ApiError({ code: 'internal', message: `loading ${manifest.id} failed: its predictor ${how}${stderr.length ? `: ${stderr.join(' | ')}` : ''}` }));
      });
    });
  }

  /** The batch's predictions; rows that do not fit the model reject with an `invalid` ApiError naming `input`. */
  predict(batch: RowBatch): Promise<Predictions> {
    if (this.exited) return Promise.reject(this.exited);
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.child.send({ type: 'predict', requestId, batch });
    });
  }

  /** Called once the child has exited, with why, after every waiting request was refused. */
  onExit(listener: (why: Error) => void): void {
    if (this.exited) listener(this.exited);
    else this.exitListeners.push(listener);
  }

  /** Ends the child; anything still waiting is refused. */
  stop(): void {
    this.child.send({ type: 'stop' });
    this.child.kill('SIGTERM');
  }

  private receive(message: z.infer<typeof PredictorMessage>): void {
    if (message.type !== 'predictions' && message.type !== 'prediction-error') return;
    const pending = this.pending.get(message.requestId);
    if (!pending) return;
    this.pending.delete(message.requestId);
    if (message.type === 'predictions') {
      const { outputs, classIds, computeMs } = message;
      return pending.resolve({ outputs, computeMs, ...(classIds ? { classIds } : {}) });
    }
    pending.reject(ApiError.forField(message.field, message.message));
  }

  private died(code: number | null, signal: string | null): void {
    const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
    this.exited = new ApiError({
      code: 'internal',
      message: `the predictor of ${this.manifest.id} ${how}${this.stderr.length ? `: ${this.stderr.join(' | ')}` : ''}`,
    });
    for (const p of this.pending.values()) p.reject(this.exited);
    this.pending.clear();
    for (const l of this.exitListeners) l(this.exited);
  }
}
