import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { tempDir } from '../support/studio-fixture.js';

// A node reached as `ssh://USER@127.0.0.1:PORT`: an account on a real sshd on loopback, whose agent
// the CLI starts over SSH and whose predictions come back through the SSH connection.

const PIXELS = 784;
const ROWS = 2000;

type Prediction = { type: 'prediction'; row: number; classId: number; probabilities: number[]; peer: string };
type PeerStats = { peer: string; state: string; requests: number; rows: number; reason?: string; p99Ms: number | null };
type Done = { type: 'done'; rows: number; peers: PeerStats[] };

function parsePredictions(stdout: string): { predictions: Prediction[]; done: Done } {
  const lines = jsonLines(stdout);
  return { predictions: lines.filter((l) => l.type === 'prediction') as Prediction[], done: lines.find((l) => l.type === 'done') as Done };
}

describe('a model served from an ssh:// peer', () => {
  let sshd: TestSshd;
  let dataDir: string;
  let runId: string;
  let rows: string;
  let node: string;

  beforeAll(async () => {
    dataDir = tempDir('deploy-ssh');
    const [started, trained] = await Promise.all([
      startSshd(),
      runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--limit', '300', '--epochs', '1', '--json', '--data-dir', dataDir]),
    ]);
    sshd = started;
    const done = jsonLines(trained.stdout).find((l) => l.type === 'done');
    expect(done, trained.stderr).toBeDefined();
    runId = done!.runId as string;
    const random = seededRandom(7);
    rows = join(dataDir, 'rows.json');
    writeFileSync(rows, JSON.stringify({ inputs: Array.from({ length: ROWS }, () => Array.from({ length: PIXELS }, () => random() * 4 - 1)) }));
    node = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
  });
  afterAll(() => sshd?.stop());

  it('starts the node\'s agent over SSH, shares the rows with local, and answers as a predictor here does', async () => {
    const knownHosts = join(dataDir, 'known_hosts');
    const predict = ['predict', '--model', runId, '--input', rows, '--batch', '50', '--json', '--data-dir', dataDir];
    const [served, here] = await Promise.all([
      runCli([...predict, '--peers', `${node},local`, '--identity', sshd.clientKey, '--known-hosts', knownHosts, '--accept-new-host']),
      runCli([...predict, '--peers', 'local']),
    ]);
    expect(served.code, served.stderr).toBe(0);
    expect(here.code, here.stderr).toBe(0);
    expect(served.stderr).toMatch(/trusting the new host \[127\.0\.0\.1\]:\d+, ssh-ed25519 key SHA256:/);
    const hostKey = readFileSync(sshd.hostKeyPub, 'utf8').split(' ').slice(0, 2).join(' ');
    expect(readFileSync(knownHosts, 'utf8')).toContain(hostKey);

    const remote = parsePredictions(served.stdout);
    const local = parsePredictions(here.stdout);
    expect(remote.predictions.map((p) => p.row)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(local.predictions).toHaveLength(ROWS);
    remote.predictions.forEach((p, i) => {
      expect(p.classId).toBe(local.predictions[i]!.classId);
      p.probabilities.forEach((v, c) => expect(Math.abs(v - local.predictions[i]!.probabilities[c]!)).toBeLessThan(1e-5));
    });

    // The node's agent answered a real share, and the rows it is credited with are the ones marked as its own.
    const ssh = remote.done.peers.find((p) => p.peer === node);
    expect(ssh).toMatchObject({ state: 'serving' });
    expect(ssh!.requests).toBeGreaterThan(0);
    expect(ssh!.p99Ms).toBeGreaterThan(0);
    expect(remote.predictions.filter((p) => p.peer === node)).toHaveLength(ssh!.rows);
    expect(remote.done.peers.find((p) => p.peer === 'local')).toMatchObject({ state: 'serving' });
    expect(remote.done.peers.reduce((n, p) => n + p.rows, 0)).toBe(ROWS);
  });

  it('reports an ssh:// peer it cannot trust or log in to as dead, naming it and why, while local answers every row', async () => {
    const few = join(dataDir, 'few.json');
    writeFileSync(few, JSON.stringify(Array.from({ length: 40 }, (_, r) => Array.from({ length: PIXELS }, (_, i) => ((r + i) % 7) / 7))));
    const emptyKnownHosts = join(dataDir, 'empty_known_hosts');
    writeFileSync(emptyKnownHosts, '');
    // The node's true host key, so that only the login fails.
    const trusted = join(dataDir, 'trusted_known_hosts');
    writeFileSync(trusted, `[127.0.0.1]:${sshd.port} ${readFileSync(sshd.hostKeyPub, 'utf8')}`);
    const predict = ['predict', '--model', runId, '--input', few, '--peers', `${node},local`, '--json', '--data-dir', dataDir];
    const [untrusted, refused] = await Promise.all([
      runCli([...predict, '--identity', sshd.clientKey, '--known-hosts', emptyKnownHosts]),
      runCli([...predict, '--identity', sshd.strangerKey, '--known-hosts', trusted]),
    ]);

    const hostReason = `[127.0.0.1]:${sshd.port} is not in known_hosts (its ssh-ed25519 key is ${sshd.hostFingerprint()}); check that fingerprint with the node's administrator, then run on a terminal to accept it, or pass --accept-new-host`;
    const loginReason = `${sshd.user}@127.0.0.1:${sshd.port} refused the key ${sshd.strangerKey} (public key login): is its .pub line in ~${sshd.user}/.ssh/authorized_keys on the node?`;
    for (const [result, reason] of [[untrusted, hostReason], [refused, loginReason]] as const) {
      // A peer left out is a warning, not a failure: the rows were all answered.
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`warning: peer ${node} skipped: ${reason}`);
      const lines = jsonLines(result.stdout);
      expect(lines).toContainEqual({ type: 'peer-dead', peer: node, reason });
      const { predictions, done } = parsePredictions(result.stdout);
      expect(predictions.map((p) => p.row)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(predictions.every((p) => p.peer === 'local')).toBe(true);
      expect(done.peers).toContainEqual(expect.objectContaining({ peer: node, state: 'dead', reason, requests: 0, rows: 0 }));
      expect(done.peers).toContainEqual(expect.objectContaining({ peer: 'local', state: 'serving', rows: 40 }));
    }
    // Refusing the host wrote nothing: the user has not trusted it.
    expect(readFileSync(emptyKnownHosts, 'utf8')).toBe('');
  });
});
