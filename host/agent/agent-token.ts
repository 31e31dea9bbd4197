import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileSecretStore } from '../secrets/file-secret-store.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';

/** The agent's secrets file in its data directory, apart from the desktop app's `secrets.json`. */
export const AGENT_SECRETS_FILE = 'agent-secrets.json';
const TOKEN_NAME = 'agent-token';

export interface AgentToken {
  token: string;
  /** True when it is new: not stored yet, and shown this once without `--print-token`. */
  created: boolean;
}

/**
 * The token every client of this agent must present: 32 random bytes, kept in a 0600 file (refused
 * if others can read it). Reading or making it also teaches the redactor to strike it out of
 * anything the agent logs.
 */
export class AgentTokenFile {
  private readonly store: FileSecretStore;

  constructor(dataDir: string, private readonly redactor: SecretRedactor) {
    this.store = new FileSecretStore(join(dataDir, AGENT_SECRETS_FILE), redactor);
  }

  get place(): string {
    return this.store.place;
  }

  /** The stored token, or a new one that is stored only by `save`: a start that fails leaves no token behind that nobody was shown. */
  load(): AgentToken {
    const existing = this.store.get(TOKEN_NAME);
    if (existing !== null) return { token: existing, created: false };
    const token = randomBytes(32).toString('base64url');
    this.redactor.add(token);
    return { token, created: true };
  }

  save(token: string): void {
    this.store.set(TOKEN_NAME, token);
  }
}
