import { z } from 'zod';
import { PeerDescription } from './peer-description.js';

/** An agent's address as a peer: `ws://HOST:PORT`. */
export const AgentUrl = z
  .string()
  .trim()
  .regex(/^ws:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/, { error: 'must look like ws://HOST:PORT (what `hpc-studio agent` prints)' });

/** A peer in the Peers panel: how it answers now, and what it is. */
export const PeerStatus = z.object({
  url: AgentUrl,
  state: z.enum(['connecting', 'online', 'offline']),
  /** Median round trip to its agent, while online. */
  latencyMs: z.number().nonnegative().nullable(),
  /** Its last answer to describePeer (hardware, backend), kept while it is offline. */
  description: PeerDescription.nullable(),
  /** Why it is offline, in words (wrong token, not reachable, another version…). */
  problem: z.string().max(1000).nullable(),
  /** Where its token is kept, or why it is not (and will be asked for again next time). */
  tokenKept: z.string().max(300),
});
export type PeerStatus = z.infer<typeof PeerStatus>;

export const AddPeerParams = z.object({
  url: AgentUrl,
  token: z.string().trim().min(16, { error: 'paste the token `hpc-studio agent --print-token` shows on the node' }).max(200),
});
