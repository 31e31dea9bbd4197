import { z } from 'zod';
import type { RunConfig } from '../../shared/run-config.js';
import { TrainingPosition } from '../checkpoint.js';
import type { Model } from '../models/model.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { restore, snapshot } from '../training-snapshot.js';
import type { PeerGroup } from './peer-group.js';

/** Room for the position and update count as JSON, one byte per float (exact in float32). */
const HEADER_BYTES = 8192;

/** Where a run is, beside the tensors of its state, as one peer sends it to another. */
export const StateHeader = z.object({ position: TrainingPosition, optimizerUpdates: z.number().int() });

/**
 * Gives every peer the parameters, optimizer state and position of peer `from`, so peers that
 * start fresh (a remote node with no checkpoint) or fell a step behind (a ring broke mid-exchange)
 * train on from exactly where it is. A broadcast as one all-reduce: `from` adds its state, the
 * others zeros, and x + 0 is x exactly. Returns the position every peer now holds.
 */
export async function broadcastState(
  peers: PeerGroup,
  from: number,
  runId: string,
  config: RunConfig,
  model: Model,
  optimizer: Optimizer,
  position: TrainingPosition,
): Promise<TrainingPosition> {
  const leader = peers.rank === from;
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
  const header = StateHeader.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(0, end < 0 ? HEADER_BYTES : end))));
  let at = HEADER_BYTES;
  const tensors = own.tensors.map((t) => {
    const values = buffer.slice(at, at + t.values.length);
    at += t.values.length;
    return { ...t, values };
  });
  restore(model, optimizer, { runId, config, position: header.position, optimizerUpdates: header.optimizerUpdates, tensors });
  return header.position;
}

/** Chunks a step count into float32-exact parts (each under 2^20). */
const STEP_PART = 2 ** 20;

/** The peer furthest along (the lowest rank among equals): after a broken exchange, some peers may have finished that step. */
export async function mostAdvancedPeer(peers: PeerGroup, step: number): Promise<number> {
  const steps = new Float32Array(2 * peers.worldSize);
  steps[2 * peers.rank] = Math.floor(step / STEP_PART);
  steps[2 * peers.rank + 1] = step % STEP_PART;
  await peers.allReduceSum(steps);
  let best = 0;
  for (let rank = 1; rank < peers.worldSize; rank++) {
    const at = steps[2 * rank]! * STEP_PART + steps[2 * rank + 1]!;
    if (at > steps[2 * best]! * STEP_PART + steps[2 * best + 1]!) best = rank;
  }
  return best;
}
