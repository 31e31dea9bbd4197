import { join } from 'node:path';
import type { PeerConnector } from '../distributed/peer-group-process.js';
import { connectAgentOverSsh } from '../ssh/remote-agent.js';
import { peerConnectorFromTokenFile } from './peer-token-file.js';
import { askPassphraseOnTerminal, confirmOnTerminal } from './ssh-prompts.js';

export interface CliPeerOptions {
  /** Tokens for `ws://` peers. */
  tokenFile?: string;
  /** For `ssh://` peers: the key (else ssh-agent's), the known_hosts file, and whether a new host is trusted unasked. */
  identity?: string;
  knownHosts?: string;
  acceptNewHost?: boolean;
  dataDir: string;
}

/** How `train` reaches its `ws://` peers (with --token-file) and `ssh://` peers (over SSH, starting their agents). */
export function cliPeerConnector(options: CliPeerOptions, version: string): PeerConnector {
  const ws = options.tokenFile ? peerConnectorFromTokenFile(options.tokenFile, version) : null;
  return (address) => {
    if (address.startsWith('ssh://')) {
      return connectAgentOverSsh({
        target: address,
        identityFile: options.identity,
        passphrase: askPassphraseOnTerminal,
        knownHostsFile: options.knownHosts,
        confirmUnknownHost: confirmOnTerminal(options.acceptNewHost ?? false),
        version,
        bundleCacheDir: join(options.dataDir, 'agent-bundles'),
      });
    }
    return ws ? ws(address) : Promise.reject(new Error(`${address}: ws:// peers need their agents' tokens (--token-file)`));
  };
}
