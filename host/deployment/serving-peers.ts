import { ApiError } from '../../shared/rpc-protocol.js';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import type { SpawnTrainer } from '../trainer-process.js';
import { deployToPeers, type PackageToSend } from './agent-serving-peer.js';
import { LocalPredictor } from './local-predictor.js';
import type { ServingPeer } from './model-deployment.js';

export interface ServingPeersDeps {
  /** For `local`: a predictor child here. */
  spawnTrainer: SpawnTrainer;
  env?: NodeJS.ProcessEnv;
  /** For the agents (`ws://`, `ssh://`). */
  connect: PeerConnector;
  /** A peer that could not take the model, left out. */
  warn: (peer: string, reason: string) => void;
}

/**
 * The package deployed to `local` and the agents named, at once; if the deploy fails, whatever did
 * start is ended. Agents that could not be reached are left out (warned), so only having no peer at
 * all left fails: `local` alone still serves.
 */
export async function startServingPeers(pkg: PackageToSend, peers: readonly string[], deps: ServingPeersDeps): Promise<ServingPeer[]> {
  const remote = peers.filter((p) => p !== 'local');
  const [local, agents] = await Promise.allSettled([
    peers.includes('local') ? LocalPredictor.start(deps.spawnTrainer, pkg, { ...process.env, ...deps.env }) : Promise.resolve(null),
    remote.length ? deployToPeers(pkg, remote, deps.connect, deps.warn) : Promise.resolve([]),
  ]);
  const failed = [local, agents].find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    if (local.status === 'fulfilled') local.value?.close();
    if (agents.status === 'fulfilled') for (const a of agents.value) a.close();
    throw failed.reason;
  }
  const serving = [...(local.status === 'fulfilled' && local.value ? [local.value] : []), ...(agents.status === 'fulfilled' ? agents.value : [])];
  if (serving.length === 0) throw new ApiError({ code: 'internal', message: `none of the peers could serve ${pkg.manifest.id}: every one failed (${peers.join(', ')})` });
  return serving;
}
