import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { ROOT, tempDir } from '../support/studio-fixture.js';

// A node reached over SSH (an account on a real sshd on loopback) that cannot read the app's CSV
// (it sits in a folder only this user may enter): with --peer-dataset upload the app sends it to the
// node's agent through the same SSH connection, and the node's trainer trains on its copy.

describe('--peer-dataset upload to a node reached over SSH', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd({ users: 1 });
  });
  afterAll(() => sshd?.stop());

  it('sends the CSV to the node, which keeps it under its hash and trains on it', async () => {
    const [node] = sshd.accounts;
    const work = tempDir('ssh-dataset');
    const csv = join(work, 'regression.csv');
    copyFileSync(join(ROOT, 'resources', 'linear-regression.csv'), csv);
    const bytes = readFileSync(csv);
    const sha256 = createHash('sha256').update(`regression.csv\0${bytes.length}\0`).update(bytes).digest('hex');
    const peer = `ssh://${node!.user}@127.0.0.1:${sshd.port}`;
    const result = await runCli([
      'train', '--dataset', `csv:${csv}`, '--target', 'y', '--model', 'linear', '--epochs', '1', '--batch-size', '80', '--json',
      '--data-dir', join(work, 'data'), '--peers', `local,${peer}`, '--peer-dataset', 'upload',
      '--identity', node!.clientKey, '--known-hosts', join(work, 'known_hosts'), '--accept-new-host',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).find((e) => e.type === 'peer-dataset')).toMatchObject({ peer: 1, address: peer, sha256, files: 1, sentBytes: bytes.length });
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({ type: 'done' });
    const kept = join(node!.home, '.config', 'HPC Studio', 'datasets', sha256, 'regression.csv');
    expect(readFileSync(kept)).toEqual(bytes);
    expect(statSync(kept).uid, 'written by the node\'s own agent').not.toBe(statSync(csv).uid);
  }, 60_000);
});
