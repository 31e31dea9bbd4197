import { randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { RingEndpoint } from '../../shared/ring-membership.js';
import { DEFAULT_RUN_CONFIG } from '../../shared/run-config.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { joinPeers } from '../../trainer/distributed/join-peers.js';
import { RingCommands } from '../../trainer/distributed/ring-commands.js';
import { broadcastState, mostAdvancedPeer } from '../../trainer/distributed/state-broadcast.js';
import type { PeerGroup } from '../../trainer/distributed/peer-group.js';
import { createModel } from '../../trainer/models/create-model.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';
import { freshPosition } from '../../trainer/training-loop.js';
import { snapshot } from '../../trainer/training-snapshot.js';

// Three peers in this process, on real data ports and a real ring over loopback.
const INFO = { task: 'classification' as const, trainSize: 100, validationSize: 10, testSize: 10, inputShape: [28, 28, 1], classes: 10 };
const CONFIG = { ...DEFAULT_RUN_CONFIG, model: 'cnn' as const };

async function group(n: number): Promise<PeerGroup[]> {
  const secret = randomBytes(32).toString('base64');
  const ports: number[] = [];
  const rings = Array.from({ length: n }, () => new RingCommands());
  const groups = await Promise.all(
    Array.from({ length: n }, (_, rank) =>
      joinPeers(
        { rank, worldSize: n, secret, bindHost: '127.0.0.1' },
        'run-x',
        (port) => {
          ports[rank] = port;
          if (ports.filter(Boolean).length < n) return;
          const endpoints: RingEndpoint[] = ports.map((p) => ({ host: '127.0.0.1', port: p }));
          rings.forEach((r) => r.push({ type: 'ring', endpoints, generation: 0 }));
        },
        rings[rank]!,
        { broken: () => {}, awaiting: () => {}, synced: () => {} },
      ),
    ),
  );
  await Promise.all(groups.map((g) => g.level()));
  return groups;
}

const peers: PeerGroup[] = [];
afterAll(() => Promise.all(peers.map((p) => p.close())));

describe('a peer\'s state, sent to the others', () => {
  it('ends with the leader\'s parameters, Adam moments, update count and position, bit for bit', async () => {
    await chooseBackend('cpu');
    peers.push(...(await group(3)));
    const models = peers.map(() => createModel(CONFIG.model, INFO, CONFIG.seed));
    const optimizers = models.map((m) => createOptimizer('adam', m.variables, CONFIG.lr));
    // The leader has trained: different weights, moments and count from the fresh peers'.
    tf.tidy(() => {
      const grads = models[0]!.variables.map((v) => tf.randomNormal(v.shape, 0, 1, 'float32', 3));
      for (let i = 0; i < 3; i++) optimizers[0]!.apply(grads);
      models[0]!.variables.forEach((v) => v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', 9)));
    });
    const leaderPosition = { ...freshPosition(CONFIG), step: 1234, epoch: 3, epochOffset: 640, samplesSeen: 99_000, lrAnchor: { lr: 0.0005, scheduledLr: 0.001 } };
    const positions = await Promise.all(
      peers.map((p, rank) => broadcastState(p, 0, 'run-x', CONFIG, models[rank]!, optimizers[rank]!, rank === 0 ? leaderPosition : freshPosition(CONFIG))),
    );
    const snapshots = await Promise.all(models.map((m, rank) => snapshot('run-x', CONFIG, m, optimizers[rank]!, positions[rank]!)));
    for (const follower of snapshots.slice(1)) {
      expect(follower.position).toEqual(leaderPosition);
      expect(follower.optimizerUpdates).toBe(3);
      follower.tensors.forEach((t, i) => expect(Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength).equals(Buffer.from(snapshots[0]!.tensors[i]!.values.buffer, snapshots[0]!.tensors[i]!.values.byteOffset, snapshots[0]!.tensors[i]!.values.byteLength)), t.name).toBe(true));
    }
  });

  it('comes from the peer furthest along, the lowest rank among equals', async () => {
    expect(await Promise.all(peers.map((p, rank) => mostAdvancedPeer(p, [41, 42, 42][rank]!)))).toEqual([1, 1, 1]);
    expect(await Promise.all(peers.map((p, rank) => mostAdvancedPeer(p, [2 ** 30 + 1, 2 ** 30, 7][rank]!)))).toEqual([0, 0, 0]);
  });
});
