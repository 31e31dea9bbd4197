import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileSecretStore } from '../secrets/file-secret-store.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';

/** The agent's secrets file in its data directory, apart from the desktop app's `secrets.json`. */
export const AGENT_SECRETS_FILE = 'agent-secrets.json';
const TOKEN_NAME = 'agent-token';

export interface AgentToken {
  token: string;
  /** True when this call made it: the one time it is shown without `--print-token`. */
  created: boolean;
  /** Where it is kept, for messages. */
  place: string;
}

/**
 * The token every client of this agent must present: 32 random bytes, made on first use and kept
 * in a 0600 file (refused if others can read it). Reading it also teaches the redactor to strike
 * it out of anything the agent logs.
 */
export function agentToken(dataDir: string, redactor: SecretRedactor): AgentToken {
  const store = new FileSecretStore(join(dataDir, AGENT_SECRETS_FILE), redactor);
  const existing = store.get(TOKEN_NAME);
  if (existing !== null) return { token: existing, created: false, place: store.place };
  const token = randomBytes(32).toString('base64url');
  store.set(TOKEN_NAME, token);
  return { token, created: true, place: store.place };
}
