import { TrainerEvent, type BackendChoice } from '../shared/trainer-protocol.js';
import type { SpawnTrainer } from './trainer-process.js';

export interface BackendProbeDeps {
  spawnTrainer: SpawnTrainer;
  env?: NodeJS.ProcessEnv;
  /** Loading libtensorflow or the wasm binary takes seconds; a trainer silent for this long is given up on. */
  timeoutMs?: number;
}

const STDERR_TAIL_LINES = 10;
/** After `ready` the trainer is told to stop; one that lingers is killed so no idle child outlives the question. */
const EXIT_GRACE_MS = 5000;

/**
 * Which backend this machine's trainer would train on: a trainer is started once, reports its
 * `ready` with the backend chain's choice, and is told to stop without training. The answer is
 * kept; a failure is not, so the next question tries again.
 */
export class BackendProbe {
  private answer: Promise<BackendChoice> | null = null;

  constructor(private readonly deps: BackendProbeDeps) {}

  choice(): Promise<BackendChoice> {
    this.answer ??= this.probe().catch((error: unknown) => {
      this.answer = null;
      throw error;
    });
    return this.answer;
  }

  private probe(): Promise<BackendChoice> {
    const timeoutMs = this.deps.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const child = this.deps.spawnTrainer({ ...process.env, ...this.deps.env });
      const tail: string[] = [];
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        settle(() => reject(new Error(`the trainer did not report its backend within ${timeoutMs / 1000} s`)));
        child.kill('SIGKILL');
      }, timeoutMs);
      child.onOutputLine((line) => {
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
      });
      child.onMessage((raw) => {
        const event = TrainerEvent.safeParse(raw);
        if (!event.success || event.data.type !== 'ready') return;
        const backend = event.data.backend;
        settle(() => resolve(backend));
        child.send({ type: 'stop' });
        setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS).unref();
      });
      child.onExit((code, signal) => {
        const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
        settle(() => reject(new Error(`the trainer ${how} before reporting its backend${tail.length ? `: ${tail.join(' | ')}` : ''}`)));
      });
    });
  }
}
