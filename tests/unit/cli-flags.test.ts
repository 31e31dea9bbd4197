import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../host/cli/config-from-flags.js';

const base = { dataset: 'fashion-mnist', datasetDir: '/data', model: 'mlp' };

describe('train flags', () => {
  it('builds a config with defaults', () => {
    const r = configFromFlags({ ...base, epochs: '2', batchSize: '32', lr: '1e-3' });
    expect(r).toEqual({
      ok: true,
      config: { dataset: { kind: 'fashion-mnist', dir: '/data' }, model: 'mlp', epochs: 2, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 42 },
    });
  });

  it.each([
    [{ lr: '0' }, 'lr', '--lr: must be a finite number > 0 and ≤ 10 (got "0")'],
    [{ lr: 'fast' }, 'lr', '--lr: must be a finite number > 0 and ≤ 10 (got "fast")'],
    [{ batchSize: '-3' }, 'batchSize', '--batch-size: must be an integer from 1 to 65536 (got "-3")'],
    [{ epochs: '0' }, 'epochs', '--epochs: must be an integer from 1 to 10000 (got "0")'],
    [{ model: 'gpt' }, 'model', '--model: must be one of: linear, mlp, cnn (got "gpt")'],
    [{ dataset: 'imagenet' }, 'dataset', '--dataset: must be one of: fashion-mnist, csv:FILE, images:DIR (got "imagenet")'],
    [{ dataset: 'csv:x.csv' }, 'target', '--target: must name a column of the CSV'],
    [{ peers: 'local' }, 'peers', '--peers: give 2–16 peers (one peer is a plain run) (got "local")'],
    [{ peers: 'local,gpu-node-3' }, 'peers', '--peers: a peer is `local` (a trainer process on this machine), ws://HOST:PORT (an `hpc-studio agent`) or ssh://USER@HOST[:PORT] (a node reached over SSH) (got "local,gpu-node-3")'],
    [{ peers: 'ws://node-1:7077,local' }, 'peers', '--peers: the first peer leads the run and keeps its checkpoints: make it `local` (got "ws://node-1:7077,local")'],
    [{ peers: 'local,ws://node-1:7077' }, 'interface', '--interface: peers on other machines (node-1) connect to this one: give the address of this machine they can reach'],
    [{ peers: 'local,local', parallel: 'pipe' }, 'parallel', '--parallel: must be `data` or `model` (got "pipe")'],
    [{ peers: 'local,local', microBatches: '8' }, 'microBatches', '--micro-batches: applies only to parallel model (got "8")'],
    [{ peers: 'local,local', parallel: 'model', microBatches: '0' }, 'microBatches', '--micro-batches: must be an integer from 1 to 64 (got "0")'],
    [{ microBatches: '4' }, 'microBatches', '--micro-batches: needs --peers (the peers to train on)'],
    [{ parallel: 'data' }, 'parallel', '--parallel: needs --peers (the peers to train on)'],
    [{ minPeers: '2' }, 'minPeers', '--min-peers: needs --peers (the peers to train on)'],
    [{ peers: 'local,local', minPeers: '3' }, 'minPeers', '--min-peers: must be at most the number of peers (2) (got "3")'],
    [{ peers: 'local,local', batchOnChange: 'double' }, 'batchOnChange', '--batch-on-change: must be keep or rescale (got "double")'],
    [{ peerDataset: 'upload' }, 'peerDataset', '--peer-dataset: needs --peers (the peers to train on)'],
    [{ peers: 'local,local', peerDataset: 'copy' }, 'peerDataset', '--peer-dataset: must be node or upload (got "copy")'],
  ])('%j → error on %s', (patch, field, message) => {
    const r = configFromFlags({ ...base, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ field, message });
  });

  it('--peers makes a data-parallel run', () => {
    const r = configFromFlags({ ...base, peers: 'local, local,local' });
    expect(r.ok && r.config.distribution).toEqual({ parallel: 'data', peers: ['local', 'local', 'local'] });
    const remote = configFromFlags({ ...base, peers: 'local,ws://10.0.0.7:7077,ws://[fe80::1]:7077', interface: '10.0.0.2' });
    expect(remote.ok && remote.config.distribution).toEqual({ parallel: 'data', peers: ['local', 'ws://10.0.0.7:7077', 'ws://[fe80::1]:7077'], interface: '10.0.0.2' });
    const upload = configFromFlags({ ...base, peers: 'local,local', peerDataset: 'upload' });
    expect(upload.ok && upload.config.distribution).toEqual({ parallel: 'data', peers: ['local', 'local'], dataset: 'upload' });
  });

  it('--parallel model makes a pipeline over the peers, in micro-batches', () => {
    const r = configFromFlags({ ...base, peers: 'local,local', parallel: 'model', microBatches: '8' });
    expect(r.ok && r.config.distribution).toEqual({ parallel: 'model', peers: ['local', 'local'], microBatches: 8 });
  });

  it('requires a dataset and a model', () => {
    const r = configFromFlags({ datasetDir: '/data' });
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['dataset', 'model']);
  });

  it('images:DIR with its split, size and channel flags', () => {
    const r = configFromFlags({ ...base, dataset: 'images:/photos', valSplit: '0.2', testSplit: '0.05', imageSize: '48', channels: '3' });
    expect(r.ok && r.config.dataset).toEqual({ kind: 'images', dir: '/photos', split: { mode: 'ratio', validation: 0.2, test: 0.05 }, imageSize: 48, channels: 3 });
    const folders = configFromFlags({ ...base, dataset: 'images:/photos', splitFolders: true });
    expect(folders.ok && folders.config.dataset).toEqual({ kind: 'images', dir: '/photos', split: { mode: 'folders' }, channels: 'auto' });
  });

  it.each([
    [{ valSplit: '0.7' }, 'valSplit', '--val-split: must be a number from 0 to 0.5 (got "0.7")'],
    [{ testSplit: 'most' }, 'testSplit', '--test-split: must be a number from 0 to 0.5 (got "most")'],
    [{ imageSize: '4' }, 'imageSize', '--image-size: must be an integer from 8 to 128 (got "4")'],
    [{ channels: '2' }, 'channels', '--channels: must be one of: auto, 1, 3 (got "2")'],
    [{ dataset: 'images:' }, 'dataset', '--dataset: must be a folder path (got "images:")'],
    [{ splitFolders: true, valSplit: '0.1' }, 'splitFolders', '--split-folders: the splits come from train/, val/ and test/; leave out --val-split and --test-split'],
  ])('images %j → error on %s', (patch, field, message) => {
    const r = configFromFlags({ ...base, dataset: 'images:/photos', ...patch });
    expect(r.ok ? [] : r.errors).toContainEqual({ field, message });
  });

  it('image flags with another dataset are an error', () => {
    const r = configFromFlags({ ...base, imageSize: '32' });
    expect(r.ok ? [] : r.errors).toEqual([{ field: 'imageSize', message: '--image-size: only for --dataset images:DIR' }]);
  });
});

describe('schedule and early-stopping flags', () => {
  it('parses each schedule, the warm-up and early stopping into the config', () => {
    const parse = (flags: Record<string, string>) => {
      const r = configFromFlags({ ...base, ...flags });
      return r.ok ? r.config : r.errors;
    };
    expect(parse({ schedule: 'step:2:0.5', warmupSteps: '100', earlyStop: '3:0.01' })).toMatchObject({
      schedule: { kind: 'step', everyEpochs: 2, gamma: 0.5 },
      warmupSteps: 100,
      earlyStopping: { patience: 3, minDelta: 0.01 },
    });
    expect(parse({ schedule: 'cosine' })).toMatchObject({ schedule: { kind: 'cosine', minLr: 0 } });
    expect(parse({ schedule: 'cosine:1e-5', earlyStop: '2' })).toMatchObject({ schedule: { kind: 'cosine', minLr: 1e-5 }, earlyStopping: { patience: 2, minDelta: 0 } });
    expect((parse({ schedule: 'constant' }) as { schedule?: unknown }).schedule).toBeUndefined();
  });

  it.each([
    [{ schedule: 'step:0:0.5' }, 'schedule', '--schedule: everyEpochs must be an integer from 1 to 1000 (got "step:0:0.5")'],
    [{ schedule: 'step:2:1.5' }, 'schedule', '--schedule: gamma must be a number > 0 and ≤ 1 (got "step:2:1.5")'],
    [{ schedule: 'step:2' }, 'schedule', '--schedule: must be step:EVERY_EPOCHS:GAMMA | cosine[:MIN_LR] | constant (got "step:2")'],
    [{ schedule: 'linear' }, 'schedule', '--schedule: must be step:EVERY_EPOCHS:GAMMA | cosine[:MIN_LR] | constant (got "linear")'],
    [{ schedule: 'cosine:-1' }, 'schedule', '--schedule: minLr must be a finite number ≥ 0 (got "cosine:-1")'],
    [{ warmupSteps: '100001' }, 'warmupSteps', '--warmup-steps: must be an integer from 0 to 100000 (got "100001")'],
    [{ earlyStop: '0' }, 'earlyStop', '--early-stop: patience must be an integer from 1 to 1000 (got "0")'],
    [{ earlyStop: '3:x' }, 'earlyStop', '--early-stop: minDelta must be a finite number ≥ 0 (got "3:x")'],
    [{ earlyStop: '3:1:2' }, 'earlyStop', '--early-stop: must be PATIENCE[:MIN_DELTA] (got "3:1:2")'],
  ])('%j → error on %s', (patch, field, message) => {
    const r = configFromFlags({ ...base, ...patch });
    expect(r.ok ? [] : r.errors).toContainEqual({ field, message });
  });
});
