import { existsSync } from 'node:fs';
import { z } from 'zod';
import { EVALUATION_FILE_VERSION, EvaluationEvent, type EvaluationProgress, type RunEvaluation } from '../shared/evaluation.js';
import type { RunConfig } from '../shared/run-config.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { TrainerEvent } from '../shared/trainer-protocol.js';
import { readCachedEvaluation, writeCachedEvaluation } from './evaluation-cache.js';
import type { DataDirLock } from './run-lock.js';
import type { RunStore } from './run-store.js';
import type { SpawnTrainer } from './trainer-process.js';

export interface RunEvaluatorDeps {
  spawnTrainer: SpawnTrainer;
  store: RunStore;
  lock: DataDirLock;
  /** The run this process is training now, if any. */
  trainingRunId: () => string | null;
  /** Resolves once this process's trainer has exited. */
  trainerIdle: () => Promise<void>;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

const EvaluatorMessage = z.union([TrainerEvent, EvaluationEvent]);
const STDERR_TAIL_LINES = 20;

/**
 * Evaluates finished runs on their test split in a trainer child (so the model code and the
 * backend are the trainer's own), one at a time under the data directory's lock, and caches
 * the answer beside the run until its checkpoint changes.
 */
export class RunEvaluator {
  private readonly inFlight = new Map<string, Promise<RunEvaluation>>();
  private readonly now: () => number;

  constructor(private readonly deps: RunEvaluatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The cached evaluation if it still matches the run's checkpoint. */
  cached(runId: string): RunEvaluation | null {
    const paths = this.deps.store.paths(runId);
    if (!existsSync(paths.log)) throw new ApiError({ code: 'not-found', message: `runId: no run named ${runId}` });
    return readCachedEvaluation(paths.evaluation, paths.checkpoints);
  }

  /** The cached evaluation, or a fresh one (progress reported on the way). Concurrent asks for one run share one child. */
  evaluate(runId: string, onProgress: (progress: EvaluationProgress) => void): Promise<RunEvaluation> {
    const cached = this.cached(runId);
    if (cached) return Promise.resolve(cached);
    const running = this.inFlight.get(runId);
    if (running) return running;
    const job = this.compute(runId, onProgress).finally(() => this.inFlight.delete(runId));
    this.inFlight.set(runId, job);
    return job;
  }

  private async compute(runId: string, onProgress: (progress: EvaluationProgress) => void): Promise<RunEvaluation> {
    let training = this.deps.trainingRunId();
    let summary = this.deps.store.summary(runId, training === runId || this.deps.lock.holder()?.runId === runId);
    // Asked the moment the run said it was done: its trainer is still exiting, so wait for it.
    if (training === runId && (summary.status === 'done' || summary.status === 'stopped')) {
      await this.deps.trainerIdle();
      training = this.deps.trainingRunId();
      summary = this.deps.store.summary(runId, training === runId || this.deps.lock.holder()?.runId === runId);
    }
    if (summary.status !== 'done' && summary.status !== 'stopped') {
      throw new ApiError({ code: 'conflict', message: `run ${runId} is ${summary.status}; only a done or stopped run can be evaluated` });
    }
    if (!summary.resumable) throw new ApiError({ code: 'conflict', message: `run ${runId} has no checkpoint to evaluate` });
    if (training) {
      throw new ApiError({
        code: 'conflict',
        message: `run ${training} is training; one trainer runs at a time per data directory, so evaluate run ${runId} once it finishes`,
      });
    }
    this.deps.lock.acquire(runId, 'evaluation');
    try {
      const paths = this.deps.store.paths(runId);
      const answer = await this.runChild(runId, summary.config, paths.checkpoints, onProgress);
      const result: RunEvaluation = {
        version: EVALUATION_FILE_VERSION,
        runId,
        computedAt: this.now(),
        source: answer.source,
        evaluation: answer.evaluation,
      };
      writeCachedEvaluation(paths.evaluation, result);
      return result;
    } finally {
      this.deps.lock.release(runId);
    }
  }

  private runChild(
    runId: string,
    config: RunConfig,
    checkpointDir: string,
    onProgress: (progress: EvaluationProgress) => void,
  ): Promise<EvaluationEvent> {
    return new Promise((resolve, reject) => {
      const child = this.deps.spawnTrainer({ ...process.env, ...this.deps.env });
      const stderr: string[] = [];
      let answer: EvaluationEvent | null = null;
      let inputError: { field?: string; message: string } | null = null;
      child.onOutputLine((line) => {
        stderr.push(line);
        if (stderr.length > STDERR_TAIL_LINES) stderr.shift();
      });
      child.onMessage((raw) => {
        const parsed = EvaluatorMessage.safeParse(raw);
        if (!parsed.success) {
          stderr.push(`rejected a malformed message from the trainer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
          return;
        }
        const message = parsed.data;
        switch (message.type) {
          case 'ready':
            child.send({ type: 'evaluate', runId, config, checkpointDir });
            break;
          case 'progress':
            // An evaluation sends no dataset to any node and times nothing: its trainer only loads and predicts.
            if (message.phase === 'load-data' || message.phase === 'evaluate') onProgress({ runId, phase: message.phase, done: message.done, total: message.total });
            break;
          case 'error':
            inputError = { field: message.field, message: message.message };
            break;
          case 'evaluation':
            answer = message;
            break;
        }
      });
      child.onExit((code, signal) => {
        if (answer) return resolve(answer);
        if (inputError) {
          return reject(
            new ApiError({ code: 'invalid', message: inputError.message, fields: [{ field: inputError.field ?? '(input)', message: inputError.message }] }),
          );
        }
        const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
        reject(new ApiError({ code: 'internal', message: `evaluating run ${runId} failed: the trainer ${how}${stderr.length ? `: ${stderr.join(' | ')}` : ''}` }));
      });
    });
  }
}
