import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAgent } from '../host/agent/agent-client.js';
import { deployToPeers } from '../host/deployment/agent-serving-peer.js';
import { LocalPredictor } from '../host/deployment/local-predictor.js';
import { ModelDeployment, predictInBatches, type ServingPeer } from '../host/deployment/model-deployment.js';
import { readPredictionInputs } from '../host/deployment/prediction-inputs.js';
import { ModelStore } from '../host/model-store.js';
import { packageRoot, packageVersion } from '../host/package-root.js';
import { RunStore } from '../host/run-store.js';
import { forkTrainer } from '../host/trainer-process.js';
import { AgentListening } from '../shared/agent-protocol.js';
import type { PeerServingStats } from '../shared/deployment.js';
import { printReport } from './bench-report.js';

/**
 * A model deployed to 2 loopback agents vs a predictor here, in the same run: Fashion-MNIST's
 * t10k images (the first BENCH_ROWS, default all 10000) through an mlp trained for 1 epoch on 2000
 * examples, in requests of BENCH_BATCH rows (default 64), two requests in flight per peer.
 * Reported: requests/s, rows/s and round-trip p50/p99 latency per request as the caller sees it.
 * On one machine both agents share its cores with the caller, so this measures the serving
 * path's overhead (WebSocket, JSON, checks), not what two machines would add.
 */
const root = packageRoot();
const cli = join(root, 'bin', 'hpc-studio.mjs');
const ROWS = Number(process.env.BENCH_ROWS ?? 10000);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`hpc-studio ${args[0]} exited ${code}`))));
  });
}

function startAgent(dataDir: string): Promise<{ child: ChildProcess; listening: AgentListening }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'agent', '--json', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const line = /^(.*)\n/.exec(out)?.[1];
      if (line) resolve({ child, listening: AgentListening.parse(JSON.parse(line)) });
    });
    child.on('exit', (code) => reject(new Error(`the agent exited ${code}`)));
  });
}

async function measure(peers: ServingPeer[], rows: number[][]) {
  // Warm-up: the first batches on each peer pay for kernel set-up.
  await predictInBatches(new ModelDeployment(peers), rows.slice(0, BATCH * 4 * peers.length), BATCH, () => {});
  const measured = new ModelDeployment(peers);
  const started = performance.now();
  await predictInBatches(measured, rows, BATCH, () => {});
  const seconds = (performance.now() - started) / 1000;
  const stats = measured.stats();
  measured.close();
  return { seconds, requestsPerSec: Math.ceil(rows.length / BATCH) / seconds, rowsPerSec: rows.length / seconds, ...latencyOf(stats), peers: stats };
}

/** p50/p99 over every request, from the peers' own percentiles weighted by their requests (exact for one peer). */
function latencyOf(stats: PeerServingStats[]) {
  const round = (v: number) => Math.round(v * 10) / 10;
  const total = stats.reduce((n, s) => n + s.requests, 0);
  const weighted = (key: 'p50Ms' | 'p99Ms') => round(stats.reduce((sum, s) => sum + (s[key] ?? 0) * s.requests, 0) / total);
  return { p50Ms: weighted('p50Ms'), p99Ms: Math.max(...stats.map((s) => round(s.p99Ms ?? 0))) };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-deploy-'));
  process.stderr.write('training the model (mlp, 1 epoch, 2000 examples) and starting 2 agents…\n');
  const [trained, ...agents] = await Promise.all([
    runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--limit', '2000', '--epochs', '1', '--json', '--data-dir', dataDir]),
    startAgent(mkdtempSync(join(tmpdir(), 'bench-agent-'))),
    startAgent(mkdtempSync(join(tmpdir(), 'bench-agent-'))),
  ]);
  try {
    const runId = (JSON.parse(trained.trim().split('\n').at(-1)!) as { runId: string }).runId;
    const runs = new RunStore(dataDir);
    const model = new ModelStore(runs, () => false).open(runId);
    const rows = (await readPredictionInputs(TEST_IMAGES, { label: '--input', modelId: runId, architecture: model.manifest.architecture, trainedWith: () => runs.summary(runId, false).config })).slice(0, ROWS);

    process.stderr.write(`local: ${rows.length} rows in requests of ${BATCH}…\n`);
    const local = await measure([await LocalPredictor.start(forkTrainer(join(root, 'dist', 'trainer', 'main.js')), model)], rows);
    process.stderr.write('2 loopback agents…\n');
    const tokens = new Map(agents.map((a) => [a.listening.url, a.listening.token!]));
    const version = packageVersion(root);
    const served = await deployToPeers(model, [...tokens.keys()], (url) => connectAgent({ url, token: tokens.get(url)!, version }), (peer, reason) => {
      throw new Error(`${peer}: ${reason}`);
    });
    const remote = await measure(served, rows);

    printReport('compression-deploy', {
      model: { id: runId, architecture: model.manifest.architecture.model, weightsBytes: model.manifest.weights.byteLength },
      rows: rows.length,
      batch: BATCH,
      local,
      twoLoopbackAgents: remote,
      ratio: { requestsPerSec: remote.requestsPerSec / local.requestsPerSec, p99: remote.p99Ms / local.p99Ms },
    });
  } finally {
    for (const a of agents) a.child.kill('SIGTERM');
  }
}

await main();
