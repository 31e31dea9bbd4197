import { HostKeyRefused, type ConfirmUnknownHost } from '../ssh/known-hosts.js';
import { askHiddenOnTerminal, askOnTerminal } from './terminal-prompts.js';

/** As `ssh` asks, on the terminal; without one, only `--accept-new-host` trusts a new host. */
export function confirmOnTerminal(acceptNewHost: boolean): ConfirmUnknownHost {
  return async ({ host, port, fingerprint, keyType }) => {
    const at = port === 22 ? host : `[${host}]:${port}`;
    if (acceptNewHost) {
      process.stderr.write(`warning: trusting the new host ${at}, ${keyType} key ${fingerprint} (--accept-new-host); added to known_hosts\n`);
      return true;
    }
    if (!process.stdin.isTTY) {
      throw new HostKeyRefused(
        'declined',
        `${at} is not in known_hosts (its ${keyType} key is ${fingerprint}); check that fingerprint with the node's administrator, then run on a terminal to accept it, or pass --accept-new-host`,
      );
    }
    const answer = await askOnTerminal(`The authenticity of host '${at}' can't be established.\n${keyType} key fingerprint is ${fingerprint}.\nTrust it and add it to known_hosts (yes/no)? `);
    return /^y(es)?$/i.test(answer.trim());
  };
}

/** An encrypted identity file's passphrase, typed on the terminal without echo. */
export async function askPassphraseOnTerminal(file: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error(`identity file ${file}: it is encrypted; run on a terminal to type its passphrase, or load it into ssh-agent`);
  return askHiddenOnTerminal(`passphrase for ${file}: `);
}
