import { Command, CommanderError, Option } from 'commander';
import { SAMPLE_INTERVAL_MS } from '../../shared/hardware-sample.js';
import { DEFAULT_MICRO_BATCHES, MAX_MICRO_BATCHES, MAX_PEERS } from '../../shared/distributed.js';
import { addAgentCommand } from '../agent/agent-cli.js';
import { defaultDataDir } from '../data-dir.js';
import { packageVersion } from '../package-root.js';
import { appCommand } from './app-command.js';
import { evaluateCommand } from './evaluate-command.js';
import { monitorCommand } from './monitor-command.js';
import { addClusterCommand } from './cluster-command.js';
import { addCompressCommands } from './compress-cli.js';
import { addDistillCommand } from './distill-cli.js';
import { addRunConfigOptions } from './run-config-options.js';
import { addNodeCommand } from './node-cli.js';
import { addPredictCommand } from './predict-cli.js';
import { EXIT } from './exit-codes.js';
import { runsCompareCommand, runsDeleteCommand, runsListCommand, runsShowCommand } from './run-commands.js';
import { registerTransferCommands } from './run-transfer-registration.js';
import { serveCommand } from './serve-command.js';
import { sweepCommand } from './sweep-command.js';
import { addSweepCommand } from './sweep-cli.js';
import { trainCommand } from './train-command.js';

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'where runs are stored (env HPC_STUDIO_DATA_DIR)').default(undefined, defaultDataDir());

function serveOptions(opts: { dataDir?: string; host: string; port: string }) {
  return { dataDir: opts.dataDir ?? defaultDataDir(), host: opts.host, port: Number(opts.port) };
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('hpc-studio')
    .description('Train neural networks locally and on cluster nodes, and watch them learn.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();
  let code: number = EXIT.done;

  addRunConfigOptions(program.command('train').description('train one model in the foreground, with a progress bar'))
    .option('--peers <list>', `train over these peers, comma-separated, the first local: local (a trainer process here), ws://HOST:PORT (a node's \`hpc-studio agent\`) or ssh://USER@HOST[:PORT] (a node over SSH), 2–${MAX_PEERS} of them`)
    .option('--parallel <kind>', 'how the peers split the work: data (each trains on its shard of every batch; the default) or model (each holds a stage of the model\'s layers, in the peers\' order, and batches flow through them in micro-batches)')
    .option('--micro-batches <n>', `with --parallel model: micro-batches per step, 1–${MAX_MICRO_BATCHES} (default ${DEFAULT_MICRO_BATCHES}); more keep the stages busier`)
    .option('--min-peers <n>', 'pause the run, saying why, when fewer peers than this are left (default 1)')
    .option('--batch-on-change <how>', 'when peers leave or join: keep the global batch, or rescale it with the number of peers (default keep)')
    .option('--peer-dataset <source>', "where other nodes' trainers get the dataset: node (read there: the same path, or the agent's --dataset-dir; the default) or upload (sent from here to each node that lacks it, checked by SHA-256)")
    .option('--interface <address>', "this machine's address the other peers reach its trainers on (needed with peers on other machines)")
    .option('--ring-over <how>', "how the ring's links travel: direct (TCP between the peers), ssh (relayed through this machine over the ssh:// peers' connections: slower, needs only SSH) or auto (ssh only where a peer cannot connect; the default)")
    .option('--token-file <file>', "the agents' tokens for ws:// peers: one token, or lines `ws://HOST:PORT TOKEN` (mode 600)")
    .option('--identity <file>', 'ssh:// peers: the private key to log in with (default: the keys of your ssh-agent)')
    .option('--known-hosts <file>', 'ssh:// peers: the known_hosts file (default ~/.ssh/known_hosts)')
    .option('--accept-new-host', 'ssh:// peers: trust a node not yet in known_hosts without asking (prints its fingerprint)')
    .option('--json', 'JSON Lines events on stdout; progress and logs on stderr', false)
    .addOption(dataDirOption())
    .action(async (opts) => {
      code = await trainCommand({ ...opts, dataDir: opts.dataDir ?? defaultDataDir() });
    });

  addSweepCommand(program, dataDirOption, async (opts) => {
    code = await sweepCommand({ ...opts, dataDir: opts.dataDir ?? defaultDataDir() });
  });
  addDistillCommand(program, dataDirOption, (c) => (code = c));
  addCompressCommands(program, dataDirOption, (c) => (code = c));
  addPredictCommand(program, dataDirOption, (c) => (code = c));

  const runs = program.command('runs').description('stored runs: list, show, compare, delete');
  const runsOptions = (opts: { dataDir?: string; json: boolean }) => ({ dataDir: opts.dataDir ?? defaultDataDir(), json: opts.json });
  runs
    .command('list', { isDefault: true })
    .description('list stored runs, newest first (the default)')
    .option('--json', 'print a JSON array', false)
    .addOption(dataDirOption())
    .action((opts) => {
      code = runsListCommand(runsOptions(opts));
    });
  runs
    .command('show <id>')
    .description("one run's config, status and results")
    .option('--json', 'print JSON', false)
    .addOption(dataDirOption())
    .action((id: string, opts) => {
      code = runsShowCommand(id, runsOptions(opts));
    });
  runs
    .command('compare <ids...>')
    .description('two or more runs side by side; differing config fields are marked')
    .option('--json', 'print JSON', false)
    .addOption(dataDirOption())
    .action((ids: string[], opts) => {
      code = runsCompareCommand(ids, runsOptions(opts));
    });
  runs
    .command('evaluate <id>')
    .description("a done or stopped run's test-set evaluation from its best checkpoint: confusion matrix and per-class table, or residuals")
    .option('--json', 'print the evaluation as one JSON line', false)
    .addOption(dataDirOption())
    .action(async (id: string, opts) => {
      code = await evaluateCommand(id, runsOptions(opts));
    });
  runs
    .command('delete <id>')
    .description('delete a run that is not training')
    .option('--json', 'print JSON', false)
    .addOption(dataDirOption())
    .action((id: string, opts) => {
      code = runsDeleteCommand(id, runsOptions(opts));
    });
  registerTransferCommands(runs, dataDirOption, (c) => (code = c));

  program
    .command('serve')
    .description('serve the UI to a browser; prints the URL to open')
    .option('--port <n>', 'port (0: any free port)', '0')
    .option('--host <address>', 'address to bind; keep it loopback unless you mean it', '127.0.0.1')
    .addOption(dataDirOption())
    .action(async (opts) => {
      code = await serveCommand(serveOptions(opts));
    });

  addAgentCommand(program, dataDirOption, (c) => (code = c));
  addNodeCommand(program, dataDirOption, (c) => (code = c));
  addClusterCommand(program, (c) => (code = c));

  program
    .command('monitor')
    .description('live GPU, CPU, memory, disk and network readings (like nvitop)')
    .option('--interval-ms <n>', `sampling interval, ${SAMPLE_INTERVAL_MS.min}–${SAMPLE_INTERVAL_MS.max} ms (1–20 Hz)`, String(SAMPLE_INTERVAL_MS.default))
    .option('--count <n>', 'stop after N samples')
    .option('--json', 'JSON Lines on stdout, one object per sample', false)
    .addOption(dataDirOption())
    .action(async (opts) => {
      code = await monitorCommand(opts);
    });

  program
    .command('app', { isDefault: true })
    .description('open the desktop app (serve mode where Electron cannot run)')
    .option('--port <n>', 'port for the serve-mode fallback', '0')
    .option('--host <address>', 'address for the serve-mode fallback', '127.0.0.1')
    .addOption(dataDirOption())
    .action(async (opts) => {
      code = await appCommand({ ...serveOptions(opts), dataDirGiven: opts.dataDir !== undefined });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.done : EXIT.badInput;
    }
    throw error;
  }
  return code;
}
