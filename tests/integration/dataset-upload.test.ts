import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentConnection } from '../../host/agent/agent-client.js';
import { packageVersion } from '../../host/package-root.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { FASHION_MNIST_DIR, tempDir } from '../support/studio-fixture.js';

// A data-parallel run whose peer's node has no Fashion-MNIST (its agent's --dataset-dir is an empty
// folder): with --peer-dataset upload the app sends the files to the agent, which checks their hash
// and keeps them, and the peer trains on that copy. A real agent child, the real CLI.

let agent: AgentProcess;
let tokens: string;
let connection: AgentConnection;
const FILES = readdirSync(FASHION_MNIST_DIR).sort();

/** The dataset's hash as its definition says: each file's relative path, size and bytes, in path order. */
function expectedSha256(dir: string): string {
  const hash = createHash('sha256');
  for (const name of FILES) {
    const bytes = readFileSync(join(dir, name));
    hash.update(`${name}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex');
}

beforeAll(async () => {
  agent = await startAgent(['--dataset-dir', tempDir('no-dataset-here'), '--dataset-upload-limit', '64M']);
  const token = (await runCli(['agent', '--print-token', '--data-dir', agent.dataDir])).stdout.trim();
  tokens = join(tempDir('tokens'), 'tokens');
  writeFileSync(tokens, `${agent.listening.url} ${token}\n`, { mode: 0o600 });
  connection = await connectAgent({ url: agent.listening.url, token, version: packageVersion() });
});
afterAll(async () => {
  connection?.close();
  await agent?.stop();
});

const train = (dataDir: string, ...extra: string[]) =>
  runCli([
    'train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '960', '--batch-size', '96', '--seed', '5', '--json',
    '--data-dir', dataDir, '--peers', `local,${agent.listening.url}`, '--token-file', tokens, ...extra,
  ]);

describe('--peer-dataset upload', () => {
  it('sends the dataset to a node that lacks it, trains there on the copy, and sends nothing the second time', async () => {
    const refused = await train(tempDir('data'));
    expect(refused.code, 'the node has no dataset of its own').toBe(2);
    expect(refused.stderr).toContain(`peer 1 (${agent.listening.url}) exited with code 2`);

    const sha256 = expectedSha256(FASHION_MNIST_DIR);
    const first = await train(tempDir('data'), '--peer-dataset', 'upload');
    expect(first.code, first.stderr).toBe(0);
    const sent = jsonLines(first.stdout).find((e) => e.type === 'peer-dataset')!;
    const bytes = FILES.reduce((sum, name) => sum + statSync(join(FASHION_MNIST_DIR, name)).size, 0);
    expect(sent).toMatchObject({ peer: 1, address: agent.listening.url, sha256, files: 4, bytes, sentBytes: bytes });
    const upload = jsonLines(first.stdout).filter((e) => e.type === 'progress' && e.phase === 'upload-data');
    expect(upload.at(-1)).toMatchObject({ done: bytes, total: bytes });
    expect(first.stderr).toContain(`peer 1 (${agent.listening.url}) was sent the dataset (sha256 ${sha256}`);
    expect(jsonLines(first.stdout).filter((e) => e.type === 'step')).toHaveLength(10);

    const kept = join(agent.dataDir, 'datasets', sha256);
    expect(readdirSync(kept).sort()).toEqual(FILES);
    expect(expectedSha256(kept)).toBe(sha256);
    expect(readdirSync(join(agent.dataDir, 'datasets'))).toEqual([sha256]);
    const keptAt = statSync(join(kept, FILES[0]!)).mtimeMs;

    const second = await train(tempDir('data'), '--peer-dataset', 'upload');
    expect(second.code, second.stderr).toBe(0);
    expect(jsonLines(second.stdout).find((e) => e.type === 'peer-dataset')).toMatchObject({ sha256, sentBytes: 0 });
    expect(jsonLines(second.stdout).some((e) => e.type === 'progress' && e.phase === 'upload-data')).toBe(false);
    expect(second.stderr).toContain('has the dataset already');
    expect(statSync(join(kept, FILES[0]!)).mtimeMs).toBe(keptAt);
  }, 40_000);

  it('refuses bytes that do not hash to the announced dataset, naming the hash, and keeps nothing', async () => {
    const announced = createHash('sha256').update('a.csv\0' + '4\0' + 'x,y\n').digest('hex');
    const { uploadId } = await connection.client.api.beginDatasetUpload({ sha256: announced, files: [{ path: 'a.csv', size: 4 }] });
    await connection.client.api.uploadDatasetChunk({ uploadId, path: 'a.csv', offset: 0, data: Buffer.from('x,z\n').toString('base64') });
    await expect(connection.client.api.finishDatasetUpload({ uploadId })).rejects.toThrow(new RegExp(`the dataset sent as ${announced} hashes to [0-9a-f]{64} here`));
    expect(await connection.client.api.datasetStatus({ sha256: announced })).toEqual({ state: 'absent' });
    expect(readdirSync(join(agent.dataDir, 'datasets')).filter((name) => name.startsWith(announced))).toEqual([]);
  });

  it('refuses an upload over the agent\'s limit and paths that leave the dataset', async () => {
    const sha256 = 'a'.repeat(64);
    await expect(connection.client.api.beginDatasetUpload({ sha256, files: [{ path: 'big.bin', size: 65 * 1024 ** 2 }] })).rejects.toThrow(
      /65\.0 MiB, more than this node accepts \(64\.0 MiB: the agent's --dataset-upload-limit\)/,
    );
    for (const path of ['../escape.csv', '/etc/passwd', 'a/./b.png', 'a//b.png']) {
      await expect(connection.client.api.beginDatasetUpload({ sha256, files: [{ path, size: 1 }] }), path).rejects.toThrow(/files\.0\.path: must be a relative path inside the dataset/);
    }
    const { uploadId } = await connection.client.api.beginDatasetUpload({ sha256, files: [{ path: 'a.csv', size: 2 }] });
    await expect(connection.client.api.uploadDatasetChunk({ uploadId, path: 'a.csv', offset: 0, data: Buffer.from('abc').toString('base64') })).rejects.toThrow(
      /a\.csv was announced as 2 bytes; this chunk would make it 3/,
    );
  });
});
