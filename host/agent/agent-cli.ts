import type { Command, Option } from 'commander';
import { DEFAULT_AGENT_PORT } from '../../shared/agent-protocol.js';
import { defaultDataDir } from '../data-dir.js';
import { agentCommand } from './agent-command.js';
import { DEFAULT_LISTEN_ADDRESS } from './agent-flags.js';

/** `hpc-studio agent`: the headless node agent the app connects to. */
export function addAgentCommand(program: Command, dataDirOption: () => Option, setCode: (code: number) => void): void {
  program
    .command('agent')
    .description(`serve this node's API to the app (headless); prints ws://HOST:PORT, and the token when it creates it`)
    .option('--port <n>', `port, 0–65535 (0: any free port; default ${DEFAULT_AGENT_PORT})`)
    .option('--listen <address>', `address to bind, e.g. 0.0.0.0 for every IPv4 address (default ${DEFAULT_LISTEN_ADDRESS}: this machine only)`)
    .option('--dataset-dir <dir>', "where Fashion-MNIST's IDX files are on this node, for the runs it trains a peer of (default /usr/share/datasets/fashion-mnist)")
    .option('--dataset-upload-limit <size>', 'the largest dataset an app may send this node for its runs, e.g. 500M or 2G (default 2G)')
    .option('--print-token', 'print the token clients must present (made if there is none yet), then exit', false)
    .option('--json', 'print one JSON line {type, url, port, version, tokenCreated[, token]} when listening', false)
    .addOption(dataDirOption())
    .action(async (opts) => {
      setCode(await agentCommand({ ...opts, dataDir: opts.dataDir ?? defaultDataDir() }));
    });
}
