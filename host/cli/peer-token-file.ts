import { readFileSync } from 'node:fs';
import { refuseLoose } from '../secrets/owner-only-file.js';
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
    refuseLoose(file);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadInput('tokenFile', code === undefined ? `--token-file: ${(error as Error).message}` : `--token-file: cannot read ${file} (${code})`);
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
