import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AGENT_API_PATH, VERSION_HEADER } from '../../shared/agent-protocol.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { connectAgent } from '../../host/agent/agent-client.js';
import { encodeRowBatch } from '../../host/deployment/row-batch-encoder.js';
import { ModelStore } from '../../host/model-store.js';
import { packageVersion } from '../../host/package-root.js';
import { RunStore } from '../../host/run-store.js';
import { writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { jsonLines, runCli, startCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

const VERSION = packageVersion();
const PIXELS = 784;

let dataDir: string;
let runId: string;
let agents: AgentProcess[];
let tokenFile: string;
let peers: string;

function rowsFile(name: string, count: number, width = PIXELS, seed = 7): string {
  const random = seededRandom(seed);
  const inputs = Array.from({ length: count }, () => Array.from({ length: width }, () => random() * 4 - 1));
  const file = join(dataDir, name);
  writeFileSync(file, JSON.stringify({ inputs }));
  return file;
}

type Prediction = { type: 'prediction'; row: number; classId: number; probabilities: number[]; peer: string };
type Done = { type: 'done'; rows: number; peers: { peer: string; state: string; requests: number; rows: number; reason?: string; p99Ms: number | null }[] };

function parsePredictions(stdout: string): { predictions: Prediction[]; done: Done } {
  const lines = jsonLines(stdout);
  return { predictions: lines.filter((l) => l.type === 'prediction') as Prediction[], done: lines.find((l) => l.type === 'done') as Done };
}

beforeAll(async () => {
  dataDir = tempDir('deploy');
  const [trained, ...started] = await Promise.all([
    runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--limit', '300', '--epochs', '1', '--json', '--data-dir', dataDir]),
    startAgent(),
    startAgent(),
  ]);
  agents = started;
  const done = jsonLines(trained.stdout).find((l) => l.type === 'done');
  expect(done, trained.stderr).toBeDefined();
  runId = done!.runId as string;
  tokenFile = join(dataDir, 'tokens');
  writeFileSync(tokenFile, agents.map((a) => `${a.listening.url} ${a.listening.token}`).join('\n') + '\n');
  chmodSync(tokenFile, 0o600);
  peers = agents.map((a) => a.listening.url).join(',');
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

describe('a model deployed to peers', () => {
  it('answers from both agents exactly as a predictor here does, with per-peer latency and throughput', async () => {
    const input = rowsFile('rows.json', 300);
    const [remote, local] = await Promise.all([
      runCli(['predict', '--model', runId, '--input', input, '--peers', peers, '--token-file', tokenFile, '--batch', '20', '--json', '--data-dir', dataDir]),
      runCli(['predict', '--model', runId, '--input', input, '--json', '--data-dir', dataDir]),
    ]);
    expect(remote.code, remote.stderr).toBe(0);
    expect(local.code, local.stderr).toBe(0);
    const served = parsePredictions(remote.stdout);
    const here = parsePredictions(local.stdout);
    expect(served.predictions).toHaveLength(300);
    expect(here.predictions).toHaveLength(300);
    served.predictions.forEach((p, i) => {
      expect(p.row).toBe(i + 1);
      expect(p.classId).toBe(here.predictions[i]!.classId);
      p.probabilities.forEach((v, c) => expect(Math.abs(v - here.predictions[i]!.probabilities[c]!)).toBeLessThan(1e-5));
    });
    // Spread over both: each agent answered some of the 15 requests and is reported with its latency.
    expect(served.done.peers.map((p) => p.peer).sort()).toEqual(agents.map((a) => a.listening.url).sort());
    for (const peer of served.done.peers) {
      expect(peer).toMatchObject({ state: 'serving' });
      expect(peer.requests).toBeGreaterThan(0);
      expect(peer.p99Ms).toBeGreaterThan(0);
    }
    expect(served.done.peers.reduce((n, p) => n + p.rows, 0)).toBe(300);
    expect(here.done.peers).toMatchObject([{ peer: 'local', state: 'serving', rows: 300 }]);
  });

  it('refuses rows of the wrong shape with exit 2, naming input and the shape the model takes', async () => {
    const random = seededRandom(3);
    const inputs = [PIXELS, PIXELS, 780].map((width) => Array.from({ length: width }, () => random()));
    const input = join(dataDir, 'short-row.json');
    writeFileSync(input, JSON.stringify(inputs));
    const result = await runCli(['predict', '--model', runId, '--input', input, '--peers', peers, '--token-file', tokenFile, '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`input: row 3 has 780 values; model ${runId} takes 784 (28×28×1)`);

    // An agent asked directly refuses the same, as a field error on input.
    const connection = await connectAgent({ url: agents[0]!.listening.url, token: agents[0]!.listening.token!, version: VERSION });
    try {
      const model = new ModelStore(new RunStore(dataDir), () => false).open(runId);
      await connection.client.api.deployModel({ manifest: model.manifest, weightsBase64: Buffer.from(model.weights).toString('base64') });
      await expect(connection.client.api.predict({ modelId: runId, batch: encodeRowBatch(inputs.slice(2)) })).rejects.toMatchObject({
        error: { code: 'invalid', fields: [{ field: 'input', message: `input: rows have 780 values; model ${runId} takes 784 (28×28×1)` }] },
      });
      await connection.client.api.undeployModel({ modelId: runId });
    } finally {
      connection.close();
    }
  });

  it('refuses a corrupted package by its manifest hash, in the CLI and on the agent', async () => {
    const model = new ModelStore(new RunStore(dataDir), () => false).open(runId);
    const corrupted = Uint8Array.from(model.weights);
    corrupted[100] = corrupted[100]! ^ 0xff;
    mkdirSync(join(dataDir, 'runs', runId, 'models'), { recursive: true });
    const dir = join(dataDir, 'runs', runId, 'models', 'copy');
    writeModelPackage(dir, { manifest: { ...model.manifest, id: `${runId}.copy` }, weights: model.weights });
    writeFileSync(join(dir, 'weights.bin'), corrupted);

    const result = await runCli(['predict', '--model', `${runId}.copy`, '--input', rowsFile('few.json', 3), '--peers', peers, '--token-file', tokenFile, '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/model: .*weights\.bin is corrupted: its sha256 is [0-9a-f]{64}, model\.json says [0-9a-f]{64}/);

    // A client that sends corrupted weights anyway is refused by the agent, which starts no predictor.
    const connection = await connectAgent({ url: agents[1]!.listening.url, token: agents[1]!.listening.token!, version: VERSION });
    try {
      await expect(
        connection.client.api.deployModel({ manifest: model.manifest, weightsBase64: Buffer.from(corrupted).toString('base64') }),
      ).rejects.toMatchObject({ error: { code: 'invalid', message: expect.stringMatching(/^model: .*is corrupted: its sha256 is/) } });
      expect(await connection.client.api.listServedModels({})).toEqual([]);
    } finally {
      connection.close();
    }
  });

  it('serves nobody without the token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${agents[0]!.listening.url}${AGENT_API_PATH}`, { headers: { [VERSION_HEADER]: VERSION } });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => reject(new Error('an agent let in a client without a token')));
      socket.on('error', () => {});
    });
    expect(status).toBe(401);

    const wrongTokens = join(dataDir, 'wrong-tokens');
    writeFileSync(wrongTokens, 'not-the-token\n', { mode: 0o600 });
    const result = await runCli(['predict', '--model', runId, '--input', rowsFile('one.json', 1), '--peers', agents[0]!.listening.url, '--token-file', wrongTokens, '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`warning: peer ${agents[0]!.listening.url} skipped: agent at ${agents[0]!.listening.url}: wrong token`);
  });

  it('answers every request when a peer dies mid-stream, and reports the dead peer', async () => {
    const input = rowsFile('stream.json', 4000, PIXELS, 11);
    const victim = agents[1]!;
    const predicting = startCli(['predict', '--model', runId, '--input', input, '--peers', peers, '--token-file', tokenFile, '--batch', '8', '--json', '--data-dir', dataDir]);
    const watch = await connectAgent({ url: victim.listening.url, token: victim.listening.token!, version: VERSION });
    // Killed once it has answered a few requests, with many still to come.
    const deadline = Date.now() + 20_000;
    while (((await watch.client.api.listServedModels({}))[0]?.requests ?? 0) < 3) {
      if (Date.now() > deadline) throw new Error('the victim answered no requests in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    watch.close();
    void victim.stop();
    const result = await predicting.result;
    expect(result.code, result.stderr).toBe(0);
    const { predictions, done } = parsePredictions(result.stdout);
    expect(predictions.map((p) => p.row)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
    expect(done.peers.find((p) => p.peer === victim.listening.url)).toMatchObject({ state: 'dead', reason: expect.any(String) });
    expect(done.peers.find((p) => p.peer === agents[0]!.listening.url)).toMatchObject({ state: 'serving' });
    expect(result.stderr).toContain(`warning: peer ${victim.listening.url} skipped:`);
  });
});
