import type { Command, Option } from 'commander';
import { defaultDataDir } from '../data-dir.js';

/** `hpc-studio node ssh://…`: a cluster node over SSH. Loaded on use: ssh2 is no cost to the other commands. */
export function addNodeCommand(program: Command, dataDirOption: () => Option, setCode: (code: number) => void): void {
  program
    .command('node <target>')
    .description('reach a node over SSH (ssh://USER@HOST[:PORT]): upload and start its agent if needed, then show what it has')
    .option('--identity <file>', 'private key to log in with (default: the keys of your ssh-agent, SSH_AUTH_SOCK)')
    .option('--known-hosts <file>', 'known_hosts file to check the host key against (default ~/.ssh/known_hosts)')
    .option('--accept-new-host', "trust a host not yet in known_hosts without asking (prints its fingerprint); a changed key is always refused", false)
    .option('--json', 'print one JSON line {type: "node", …} (or {type: "error", message})', false)
    .addOption(dataDirOption())
    .action(async (target: string, opts) => {
      const { nodeCommand } = await import('./node-command.js');
      setCode(await nodeCommand({ ...opts, target, dataDir: opts.dataDir ?? defaultDataDir() }));
    });
}
