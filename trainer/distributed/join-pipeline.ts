import type { PeerRole } from '../../shared/distributed.js';
import type { Model } from '../models/model.js';
import { DataPort } from './data-port.js';
import { PEER_TIMEOUT_MS } from './join-peers.js';
import { PipelineStage } from './pipeline-stage.js';
import type { RingCommands } from './ring-commands.js';
import { formStageLinks } from './stage-link.js';

/**
 * Joins a model-parallel run as stage `role.rank`: opens this stage's data port on the run's
 * interface, says which port (`announce`), and links to its neighbours once the host has every
 * stage's port. A pipeline cannot go on without one of its stages, so it is formed once.
 */
export async function joinPipeline(role: PeerRole, runId: string, model: Model, announce: (port: number) => void, rings: RingCommands): Promise<PipelineStage> {
  const dataPort = await DataPort.open({ bindHost: role.bindHost, secret: Buffer.from(role.secret, 'base64'), runId });
  announce(dataPort.port);
  const command = await rings.next();
  const links = await formStageLinks({ rank: role.rank, endpoints: command.endpoints, dataPort, timeoutMs: PEER_TIMEOUT_MS, generation: command.generation });
  return new PipelineStage(role.rank, command.endpoints.length, model, links, PIPELINE_TIMEOUT_MS, () => dataPort.close());
}

/** How long a stage waits on a neighbour mid-step: a step of a big model on a slow stage can take a while. */
const PIPELINE_TIMEOUT_MS = 60_000;
