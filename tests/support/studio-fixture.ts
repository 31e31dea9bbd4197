import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import type { PeerConnector } from '../../host/distributed/peer-group-process.js';
import { createStudioHost, type StudioHost } from '../../host/studio-host.js';
import { forkTrainer } from '../../host/trainer-process.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const TRAINER_ENTRY = join(ROOT, 'dist', 'trainer', 'main.js');
export const CLI = join(ROOT, 'bin', 'hpc-studio.mjs');
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hpc-${prefix}-`));
}

/** Host services over a fresh data directory, training with the real built trainer child. */
export function createTestHost(dataDir = tempDir('data'), connectPeer?: PeerConnector): StudioHost & { dataDir: string } {
  return { ...createStudioHost({ dataDir, version: '0.0.0-test', spawnTrainer: forkTrainer(TRAINER_ENTRY), connectPeer }), dataDir };
}

/** Every run record `host` emits from now on, appended as they come. */
export function collectRecords(host: StudioHost): RunRecord[] {
  const records: RunRecord[] = [];
  host.service.onEvent((name, payload) => {
    if (name === 'run-record') records.push((payload as { record: RunRecord }).record);
  });
  return records;
}

/** A run small enough for tests on two cores: a slice of Fashion-MNIST, the MLP. */
export function smallRun(patch: Partial<RunConfig> = {}): RunConfig {
  return {
    dataset: { kind: 'fashion-mnist', dir: FASHION_MNIST_DIR },
    model: 'mlp',
    epochs: 2,
    batchSize: 32,
    lr: 0.002,
    optimizer: 'adam',
    seed: 7,
    limit: 1200,
    ...patch,
  };
}

/** Resolves when `predicate` holds, polling; fails with `what` after the timeout. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
