import { z } from 'zod';

/** How the app (or another agent) and `hpc-studio agent` meet: the handshake's headers and the agent's start-up line. */

/** The port `agent` listens on unless told otherwise. */
export const DEFAULT_AGENT_PORT = 7077;

/** The path of the API's WebSocket on an agent; every other path is 404. */
export const AGENT_API_PATH = '/api';

/** Sent by the client on the upgrade request, and by the agent on its refusal: both ends must run the same version. */
export const VERSION_HEADER = 'x-hpc-studio-version';

/** What `agent --json` prints once it is listening, as one line on stdout. */
export const AgentListening = z.object({
  type: z.literal('listening'),
  /** `ws://HOST:PORT`, the address to give the app. */
  url: z.string(),
  port: z.number().int().min(1).max(65535),
  version: z.string(),
  /** True when this start created the agent's token; then (and only then) `token` carries it. */
  tokenCreated: z.boolean(),
  token: z.string().optional(),
});
export type AgentListening = z.infer<typeof AgentListening>;
