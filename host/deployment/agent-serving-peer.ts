import type { DeployedModel, PredictResult, RowBatch } from '../../shared/deployment.js';
import type { ModelManifest } from '../../shared/model-package.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import type { PeerConnection, PeerConnector } from '../distributed/peer-group-process.js';
import type { ServingPeer } from './model-deployment.js';

/** A model package as it is sent: its manifest and weights.bin. */
export interface PackageToSend {
  manifest: ModelManifest;
  weights: Uint8Array;
}

/** A peer's agent serving a model deployed to it: `deployModel` once, then `predict` over the same connection. */
export class AgentServingPeer implements ServingPeer {
  private constructor(
    readonly name: string,
    private readonly connection: PeerConnection,
    private readonly modelId: string,
    readonly deployed: DeployedModel,
  ) {}

  static async deploy(name: string, connection: PeerConnection, pkg: PackageToSend): Promise<AgentServingPeer> {
    try {
      const deployed = await connection.client.api.deployModel({ manifest: pkg.manifest, weightsBase64: Buffer.from(pkg.weights).toString('base64') });
      return new AgentServingPeer(name, connection, pkg.manifest.id, deployed);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  predict(batch: RowBatch): Promise<PredictResult> {
    return this.connection.client.api.predict({ modelId: this.modelId, batch });
  }

  close(): void {
    // Best effort: a peer that is gone has nothing left to undeploy.
    this.connection.client.api.undeployModel({ modelId: this.modelId }).catch(() => {}).finally(() => this.connection.close());
  }
}

/**
 * The package deployed to every peer at once. A peer that cannot be reached or loaded is left out
 * with a warning naming it, so this may return none (the caller knows whether `local` serves too);
 * a package a peer refuses (its hash, its shapes) fails the whole deploy.
 */
export async function deployToPeers(
  pkg: PackageToSend,
  peers: readonly string[],
  connect: PeerConnector,
  warn: (peer: string, reason: string) => void,
): Promise<AgentServingPeer[]> {
  const settled = await Promise.allSettled(peers.map(async (url) => AgentServingPeer.deploy(url, await connect(url), pkg)));
  const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && s.reason instanceof ApiError && s.reason.error.code === 'invalid');
  const served = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (refused) {
    for (const s of served) s.close();
    throw refused.reason;
  }
  settled.forEach((s, i) => {
    if (s.status === 'rejected') warn(peers[i]!, s.reason instanceof Error ? s.reason.message : String(s.reason));
  });
  return served;
}
