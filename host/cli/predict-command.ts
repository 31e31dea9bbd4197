import { join } from 'node:path';
import { z } from 'zod';
import { MAX_PREDICT_ROWS, MAX_PREDICT_VALUES, type PeerServingStats } from '../../shared/deployment.js';
import { MAX_PEERS, PeerAddress } from '../../shared/distributed.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { ModelDeployment, neverServed, predictInBatches } from '../deployment/model-deployment.js';
import { readPredictionInputs } from '../deployment/prediction-inputs.js';
import { startServingPeers } from '../deployment/serving-peers.js';
import { ModelStore } from '../model-store.js';
import { packageRoot, packageVersion } from '../package-root.js';
import { DataDirLock } from '../run-lock.js';
import { RunStore } from '../run-store.js';
import { forkTrainer } from '../trainer-process.js';
import { BadInput } from './bad-input.js';
import { cliPeerConnector } from './cli-peer-connector.js';
import { EXIT } from './exit-codes.js';
import { stderrBar } from './stderr-bar.js';
import { table } from './text-table.js';

export interface PredictOptions {
  dataDir: string;
  model?: string;
  peers?: string;
  input?: string;
  batch?: string;
  json: boolean;
  tokenFile?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHost?: boolean;
}

export const DEFAULT_PREDICT_BATCH = 64;

const Peers = z.array(PeerAddress).min(1).max(MAX_PEERS);

/** `predict --model ID --input FILE [--peers P,P]`: the model's outputs for every input row, spread over the peers. */
export async function predictCommand(options: PredictOptions): Promise<number> {
  const out = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');
  const fail = (field: string, message: string, code: number) => {
    if (options.json) out({ type: 'error', field, message });
    process.stderr.write(`error: ${message}\n`);
    return code;
  };
  let deployment: ModelDeployment | null = null;
  try {
    const { modelId, inputFile, batch, peers } = checkFlags(options);
    const runs = new RunStore(options.dataDir);
    // The data directory's lock says whether another process is training that run now.
    const lock = new DataDirLock(options.dataDir);
    const model = new ModelStore(runs, (runId) => lock.holder()?.runId === runId).open(modelId);
    const rows = await readPredictionInputs(inputFile, {
      label: '--input',
      modelId,
      architecture: model.manifest.architecture,
      trainedWith: () => runs.summary(model.manifest.lineage.sourceRunId, false).config,
    });
    const width = rows[0]!.length;
    if (batch * width > MAX_PREDICT_VALUES) {
      throw new BadInput('batch', `--batch: ${batch} rows of ${width} values exceed a request's ${MAX_PREDICT_VALUES} numbers; use at most ${Math.floor(MAX_PREDICT_VALUES / width)}`);
    }

    const lost: PeerServingStats[] = [];
    const warn = (peer: string, reason: string) => {
      if (!deployment) lost.push(neverServed(peer, reason));
      process.stderr.write(`warning: peer ${peer} skipped: ${reason}\n`);
      if (options.json) out({ type: 'peer-dead', peer, reason });
    };
    process.stderr.write(`deploying ${modelId} to ${peers.join(', ')}…\n`);
    const serving = await startServingPeers(model, peers, {
      spawnTrainer: forkTrainer(join(packageRoot(), 'dist', 'trainer', 'main.js')),
      connect: cliPeerConnector(options, packageVersion()),
      warn,
    });
    deployment = new ModelDeployment(serving, { onPeerDead: warn });

    const bar = stderrBar(`predict ${modelId} [{bar}] {value}/{total} rows | {rate} rows/s`);
    bar.start(rows.length, 0, { rate: '0' });
    const started = performance.now();
    let answers;
    try {
      answers = await predictInBatches(deployment, rows, batch, (done) => bar.update(done, { rate: ((done * 1000) / (performance.now() - started)).toFixed(0) }));
    } finally {
      bar.stop();
    }
    const seconds = (performance.now() - started) / 1000;

    const stats = [...deployment.stats(), ...lost];
    if (options.json) {
      answers.forEach((a, b) =>
        a.outputs.forEach((outputs, i) =>
          out({ type: 'prediction', row: b * batch + i + 1, ...(a.classIds ? { classId: a.classIds[i], probabilities: outputs } : { value: outputs[0] }), peer: a.peer }),
        ),
      );
      out({ type: 'done', modelId, rows: rows.length, requests: answers.length, seconds, rowsPerSec: rows.length / seconds, peers: stats });
    } else {
      const lines = answers.flatMap((a, b) =>
        a.outputs.map((outputs, i) => {
          const row = b * batch + i + 1;
          return a.classIds ? `${row}\t${a.classIds[i]}\t${outputs[a.classIds[i]!]!.toFixed(4)}` : `${row}\t${outputs[0]}`;
        }),
      );
      process.stdout.write(`${model.manifest.architecture.task === 'classification' ? 'row\tclass\tprobability' : 'row\tvalue'}\n${lines.join('\n')}\n`);
      process.stderr.write(`${peerTable(stats)}\n${rows.length} rows in ${answers.length} requests, ${seconds.toFixed(2)} s (${(rows.length / seconds).toFixed(0)} rows/s)\n`);
    }
    return EXIT.done;
  } catch (error) {
    if (error instanceof BadInput) return fail(error.field, error.message, EXIT.badInput);
    if (error instanceof ApiError && error.error.code !== 'internal') {
      return fail(error.error.fields?.[0]?.field ?? 'model', error.message, EXIT.badInput);
    }
    return fail('peers', error instanceof Error ? error.message : String(error), EXIT.failed);
  } finally {
    deployment?.close();
  }
}

function checkFlags(options: PredictOptions): { modelId: string; inputFile: string; batch: number; peers: string[] } {
  if (!options.model) throw new BadInput('model', '--model: give the id of a model (a run id, or <run id>.<variant>)');
  if (!options.input) throw new BadInput('input', '--input: give a JSON file of rows or an IDX images file');
  const batch = options.batch === undefined ? DEFAULT_PREDICT_BATCH : Number(options.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_PREDICT_ROWS) throw new BadInput('batch', `--batch: must be an integer from 1 to ${MAX_PREDICT_ROWS} rows per request`);
  const peers = options.peers === undefined ? ['local'] : options.peers.split(',').map((p) => p.trim());
  const checked = Peers.safeParse(peers);
  if (!checked.success) {
    throw new BadInput('peers', `--peers: ${checked.error.issues[0]?.message ?? 'invalid'}; 1–${MAX_PEERS} of them, comma-separated (got ${JSON.stringify(options.peers)})`);
  }
  if (new Set(peers).size !== peers.length) throw new BadInput('peers', '--peers: a peer is named twice');
  if (peers.some((p) => p.startsWith('ws://')) && !options.tokenFile) {
    throw new BadInput('tokenFile', "--token-file: ws:// peers need their agents' tokens (`hpc-studio agent --print-token` on each node)");
  }
  return { modelId: options.model, inputFile: options.input, batch, peers };
}

function peerTable(stats: PeerServingStats[]): string {
  const ms = (v: number | null) => (v === null ? '–' : v.toFixed(1));
  return table([
    ['peer', 'state', 'requests', 'rows', 'errors', 'req/s', 'rows/s', 'p50 ms', 'p99 ms'],
    ...stats.map((s) => [s.peer, s.state, String(s.requests), String(s.rows), String(s.errors), s.requestsPerSec.toFixed(1), s.rowsPerSec.toFixed(0), ms(s.p50Ms), ms(s.p99Ms)]),
  ]);
}
