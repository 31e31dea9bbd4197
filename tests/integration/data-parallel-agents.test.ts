import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunLog } from '../../host/run-log.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { FASHION_MNIST_DIR, tempDir } from '../support/studio-fixture.js';

// A data-parallel run over this machine and a real `hpc-studio agent` child (a cluster node's
// agent, here on loopback), driven by the real CLI: the agent starts its peer trainer, and the
// two trainers exchange gradients peer to peer.

const agents: AgentProcess[] = [];
afterAll(() => Promise.all(agents.map((a) => a.stop())));

async function tokenFileFor(agent: AgentProcess, contents?: (token: string) => string): Promise<string> {
  const token = (await runCli(['agent', '--print-token', '--data-dir', agent.dataDir])).stdout.trim();
  const file = join(tempDir('tokens'), 'tokens');
  writeFileSync(file, contents ? contents(token) : `${agent.listening.url} ${token}\n`, { mode: 0o600 });
  return file;
}

const TRAIN = ['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '2094', '--batch-size', '96', '--seed', '3', '--json'];

describe('data-parallel training with a peer on an agent', () => {
  it('trains the same 20 steps as one trainer, with the agent\'s trainer as peer 1', async () => {
    const agent = await startAgent();
    agents.push(agent);
    const tokens = await tokenFileFor(agent);
    const dataDir = tempDir('data');
    const single = await runCli([...TRAIN, '--data-dir', tempDir('data')]);
    const parallel = await runCli([...TRAIN, '--data-dir', dataDir, '--peers', `local,${agent.listening.url}`, '--token-file', tokens]);
    expect(parallel.code, parallel.stderr).toBe(0);
    expect(parallel.stderr).toContain(`peer 1 (${agent.listening.url}) ready`);
    const losses = (stdout: string) => jsonLines(stdout).filter((e) => e.type === 'step').map((e) => e.loss as number);
    expect(losses(parallel.stdout)).toHaveLength(20);
    losses(parallel.stdout).forEach((loss, i) => expect(loss).toBeCloseTo(losses(single.stdout)[i]!, 4));
    const runId = jsonLines(parallel.stdout).find((e) => e.runId)!.runId as string;
    const log = readRunLog(join(dataDir, 'runs', runId, 'run.log.jsonl')).records;
    expect(new Set(log.filter((r) => r.type === 'peer-stats').map((r) => (r as { rank: number }).rank))).toContain(1);
    // The agent's trainer took part as a peer: it never wrote a run of its own there.
    expect((await runCli(['runs', '--json', '--data-dir', agent.dataDir])).stdout.trim()).toBe('[]');
  });

  it('refuses to start, naming the peer, when the agent\'s token is wrong', async () => {
    const agent = agents[0]!;
    const tokens = await tokenFileFor(agent, () => `${agent.listening.url} not-the-token\n`);
    const result = await runCli([...TRAIN, '--data-dir', tempDir('data'), '--peers', `local,${agent.listening.url}`, '--token-file', tokens]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`peer 1 \\(${agent.listening.url.replace(/[.:/]/g, '\\$&')}\\).*wrong token`));
  });

  it('refuses a token file other users can read', async () => {
    const agent = agents[0]!;
    const tokens = await tokenFileFor(agent);
    chmodSync(tokens, 0o644);
    const result = await runCli([...TRAIN, '--data-dir', tempDir('data'), '--peers', `local,${agent.listening.url}`, '--token-file', tokens]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('can be read by other users (mode 644)');
  });

  it('refuses a node whose copy of the dataset differs, naming it (the node\'s dataset folder is its own)', async () => {
    // The node's Fashion-MNIST: the same images, one training label changed.
    const copy = tempDir('fashion-mnist');
    for (const file of ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) symlinkSync(join(FASHION_MNIST_DIR, file), join(copy, file));
    const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz')));
    labels[8] = (labels[8]! + 1) % 10;
    writeFileSync(join(copy, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
    const node = await startAgent(['--dataset-dir', copy]);
    agents.push(node);
    const tokens = await tokenFileFor(node);
    const result = await runCli([...TRAIN, '--data-dir', tempDir('data'), '--peers', `local,${node.listening.url}`, '--token-file', tokens]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/peer 1 \(ws:\/\/.*\) loaded other data than the others \(dataset fingerprint [0-9a-f]{16}, the others [0-9a-f]{16}\)/);
  });
});
