import { readFileSync, statSync } from 'node:fs';
import { connectAgent } from '../agent/agent-client.js';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import { BadInput } from './bad-input.js';

/**
 * `--token-file FILE`: the tokens of the `ws://` peers' agents (what `agent --print-token` shows
 * on each node). One token on its own line serves every agent; a line `ws://HOST:PORT TOKEN`
 * serves that agent. Like a private key, a file other users can read is refused.
 */
export function peerConnectorFromTokenFile(file: string, version: string): PeerConnector {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && mode & 0o077) {
      throw new BadInput('tokenFile', `--token-file: ${file} can be read by other users (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof BadInput) throw error;
    throw new BadInput('tokenFile', `--token-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const byUrl = new Map<string, string>();
  let fallback: string | undefined;
  for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [first, second] = line.split(/\s+/);
    if (second) byUrl.set(first!.replace(/\/api$/, ''), second);
    else fallback = first;
  }
  if (!fallback && byUrl.size === 0) throw new BadInput('tokenFile', `--token-file: ${file} holds no token`);
  return (url) => {
    const token = byUrl.get(url) ?? fallback;
    if (!token) return Promise.reject(new Error(`--token-file holds no token for ${url}`));
    return connectAgent({ url, token, version });
  };
}
