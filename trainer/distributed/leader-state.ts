import { z } from 'zod';
import type { RunConfig } from '../../shared/run-config.js';
import { TrainingPosition } from '../checkpoint.js';
import type { Model } from '../models/model.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { restore, snapshot } from '../training-snapshot.js';
import type { PeerGroup } from './peer-group.js';

/** Room for the position and update count as JSON, one byte per float (exact in float32). */
const HEADER_BYTES = 8192;

const Header = z.object({ position: TrainingPosition, optimizerUpdates: z.number().int() });

/**
 * Gives every peer the leader's parameters, optimizer state and position, so peers that start
 * fresh (a remote node with no checkpoint, a peer joining late) train on from exactly where the
 * leader is. A broadcast as one all-reduce: the leader adds its state, the others zeros, and
 * x + 0 is x exactly. Returns the position every peer now holds.
 */
export async function shareLeaderState(
  peers: PeerGroup,
  runId: string,
  config: RunConfig,
  model: Model,
  optimizer: Optimizer,
  position: TrainingPosition,
): Promise<TrainingPosition> {
  const leader = peers.rank === 0;
  // Every peer's own snapshot gives the layout (names and sizes); only the leader's values count.
  const own = await snapshot(runId, config, model, optimizer, position);
  const buffer = new Float32Array(HEADER_BYTES + own.tensors.reduce((n, t) => n + t.values.length, 0));
  if (leader) {
    const header = new TextEncoder().encode(JSON.stringify({ position, optimizerUpdates: own.optimizerUpdates }));
    if (header.length > HEADER_BYTES) throw new Error(`the training position takes ${header.length} bytes, more than the ${HEADER_BYTES} a peer can be sent`);
    buffer.set(header);
    let at = HEADER_BYTES;
    for (const t of own.tensors) {
      buffer.set(t.values, at);
      at += t.values.length;
    }
  }
  await peers.allReduceSum(buffer);
  if (leader) return position;
  const bytes = Uint8Array.from(buffer.subarray(0, HEADER_BYTES));
  const end = bytes.indexOf(0);
  const header = Header.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(0, end < 0 ? HEADER_BYTES : end))));
  let at = HEADER_BYTES;
  const tensors = own.tensors.map((t) => {
    const values = buffer.slice(at, at + t.values.length);
    at += t.values.length;
    return { ...t, values };
  });
  restore(model, optimizer, { runId, config, position: header.position, optimizerUpdates: header.optimizerUpdates, tensors });
  return header.position;
}
