import type { Command, Option } from 'commander';
import { MAX_PREDICT_ROWS } from '../../shared/deployment.js';
import { MAX_PEERS } from '../../shared/distributed.js';
import { defaultDataDir } from '../data-dir.js';
import { DEFAULT_PREDICT_BATCH, predictCommand, type PredictOptions } from './predict-command.js';

/** `hpc-studio predict`'s flags and help. */
export function addPredictCommand(program: Command, dataDirOption: () => Option, done: (code: number) => void): void {
  program
    .command('predict')
    .description("a model's predictions for every input row, served by peers (the model deployed to each) or by a predictor here")
    .option('--model <id>', 'the model: a finished run id (its own model) or <run id>.<variant> (a compressed variant)')
    .option('--input <file>', 'a JSON file {"inputs": [[…], …]} (or a list of rows), each row the input flattened; or an IDX images file (e.g. t10k-images-idx3-ubyte[.gz]), normalised as the model\'s training did')
    .option('--peers <list>', `where the model is served, comma-separated: local (a predictor here; the default), ws://HOST:PORT (a node's \`hpc-studio agent\`) or ssh://USER@HOST[:PORT], up to ${MAX_PEERS}; requests go to the peer with the fewest in flight, a dead peer is skipped`)
    .option('--batch <n>', `rows per request, 1–${MAX_PREDICT_ROWS} (default ${DEFAULT_PREDICT_BATCH})`)
    .option('--token-file <file>', "the agents' tokens for ws:// peers: one token, or lines `ws://HOST:PORT TOKEN` (mode 600)")
    .option('--identity <file>', 'ssh:// peers: the private key to log in with (default: the keys of your ssh-agent)')
    .option('--known-hosts <file>', 'ssh:// peers: the known_hosts file (default ~/.ssh/known_hosts)')
    .option('--accept-new-host', 'ssh:// peers: trust a node not yet in known_hosts without asking (prints its fingerprint)')
    .option('--json', 'JSON Lines on stdout: a prediction line per input row (row from 1), a peer-dead line per peer dropped, then a done line with per-peer latency and throughput', false)
    .addOption(dataDirOption())
    .action(async (opts: Omit<PredictOptions, 'dataDir'> & { dataDir?: string }) => {
      done(await predictCommand({ ...opts, dataDir: opts.dataDir ?? defaultDataDir() }));
    });
}
