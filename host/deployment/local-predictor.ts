import { performance } from 'node:perf_hooks';
import type { PredictResult, RowBatch } from '../../shared/deployment.js';
import type { SpawnTrainer } from '../trainer-process.js';
import type { ServingPeer } from './model-deployment.js';
import type { PackageToSend } from './agent-serving-peer.js';
import { PredictorProcess } from './predictor-process.js';

/** The no-peers case: the model in a predictor child on this machine, served like a peer named `local`. */
export class LocalPredictor implements ServingPeer {
  readonly name = 'local';

  private constructor(private readonly predictor: PredictorProcess) {}

  get backend(): string {
    return this.predictor.backend;
  }

  static async start(spawn: SpawnTrainer, pkg: PackageToSend, env: NodeJS.ProcessEnv = process.env): Promise<LocalPredictor> {
    return new LocalPredictor(await PredictorProcess.load(spawn, env, pkg.manifest, Buffer.from(pkg.weights).toString('base64')));
  }

  async predict(batch: RowBatch): Promise<PredictResult> {
    const started = performance.now();
    const predictions = await this.predictor.predict(batch);
    return { ...predictions, serverMs: performance.now() - started };
  }

  close(): void {
    this.predictor.stop();
  }
}
