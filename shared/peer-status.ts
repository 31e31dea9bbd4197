import { z } from 'zod';
import { integerIn } from './integer-range.js';
import { PeerDescription } from './peer-description.js';

/** An agent's address as a peer: `ws://HOST:PORT`. */
export const AgentUrl = z
  .string()
  .trim()
  .regex(/^ws:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/, { error: 'must look like ws://HOST:PORT (what `hpc-studio agent` prints)' });

/** A node reached over SSH, as the Peers panel names it: `ssh://USER@HOST:PORT`. */
export const SshUrl = z.string().regex(/^ssh:\/\/[^@\s]+@(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/, { error: 'must look like ssh://USER@HOST:PORT' });

/** A peer in the Peers panel: how it answers now, and what it is. */
export const PeerStatus = z.object({
  url: z.union([AgentUrl, SshUrl]),
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

/**
 * A node to add over SSH. A host not yet in known_hosts is answered with its key's fingerprint
 * for the user to check; the call is made again with that fingerprint in `trust` to accept it.
 */
export const AddSshPeerParams = z.object({
  host: z.string().trim().min(1, { error: 'give the node\'s host name or address' }).max(253),
  port: integerIn(1, 65_535),
  user: z.string().trim().min(1, { error: 'give the user to log in as' }).max(100),
  /** A private key file on this machine; absent: the keys of the user's ssh-agent. */
  identityFile: z.string().trim().min(1).max(4096).optional(),
  trust: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/).optional(),
});

export const AddSshPeerResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('added'), peer: PeerStatus }),
  /** Not in known_hosts: check this fingerprint with the node's administrator, then trust it. */
  z.object({ kind: z.literal('unknown-host'), host: z.string(), port: z.number().int(), fingerprint: z.string(), keyType: z.string() }),
]);
export type AddSshPeerResult = z.infer<typeof AddSshPeerResult>;
