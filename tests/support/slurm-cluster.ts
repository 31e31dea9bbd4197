import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './network-probes.js';
import { SimulatedNodeNetwork } from './simulated-node-network.js';
import { tempDir, waitFor } from './studio-fixture.js';

export interface TestSlurmNode {
  /** The NodeName, also the host name its jobs see. */
  name: string;
  /** The NodeAddr: where slurmctld and the other nodes reach its slurmd. */
  address: string;
}

export interface TestSlurm {
  /** The environment Slurm's commands find this cluster by (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** The first (with one node, the only) node's name. */
  node: string;
  nodes: TestSlurmNode[];
  partition: string;
  /** Stops slurmctld, munged or slurmd (every node's, or `node`'s) by PID, for tests of a cluster that does not answer. */
  kill(daemon: 'slurmctld' | 'slurmd' | 'munged', node?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Slurm 22.05 from Debian (slurmctld, slurmd, munged), all in a temp folder: its own munge
 * key and socket, a generated slurm.conf with ports of its own, `proctrack/linuxproc` and
 * `task/none` (no cgroups needed). Comes up in a few seconds; torn down by PID. Needs root, as
 * slurmd does to start jobs.
 *
 * One node (the default): `hpcnode` on loopback with this machine's 2 CPUs and memory.
 * `nodes: n` (2 or more): simulated hosts `hpcnode1`…`hpcnoden`, each a network namespace with an
 * address of its own on a bridge that holds the controller's address (SimulatedNodeNetwork), each
 * running its own slurmd with 1 CPU and a share of the memory. Jobs spanning them run their tasks
 * in different network namespaces and talk across the bridge as separate hosts would; they still
 * share this machine's filesystem and kernel.
 *
 * `preemption`: a second partition, `urgent`, on the same nodes and of a higher priority tier,
 * whose jobs preempt (cancel) the default partition's after a 10 s grace time, as clusters with a
 * scavenger queue do.
 *
 * `gpus`: each node declares that many GPUs in its Gres, backed by device files the test makes
 * (character devices like /dev/null: there is no GPU here). Slurm allocates them to jobs as it
 * would real ones and tells each task which it got (SLURM_STEP_GPUS, CUDA_VISIBLE_DEVICES).
 */
export async function startSlurm({ nodes: count = 1, preemption = false, gpus = 0 }: { nodes?: number; preemption?: boolean; gpus?: number } = {}): Promise<TestSlurm> {
  if (process.getuid?.() !== 0) throw new Error('this test needs root: it runs a real Slurm (slurmctld, slurmd as root, munged)');
  if (!Number.isInteger(count) || count < 1 || count > 8) throw new Error(`nodes must be an integer from 1 to 8, got ${count}`);
  const dir = tempDir('slurm');
  const network = count === 1 ? null : new SimulatedNodeNetwork(Array.from({ length: count }, (_, i) => `hpcnode${i + 1}`), dir);
  const nodes: TestSlurmNode[] = network ? network.nodes.map(({ name, address }) => ({ name, address })) : [{ name: 'hpcnode', address: '127.0.0.1' }];
  const partition = 'debug';
  const daemons = new Map<string, ChildProcess>();
  const stopDaemon = async (name: string, signal: NodeJS.Signals) => {
    const child = daemons.get(name);
    daemons.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await new Promise((resolve) => child.once('exit', resolve));
  };
  const stop = async () => {
    for (const name of [...nodes.map((n) => `slurmd ${n.name}`), 'slurmctld', 'munged']) await stopDaemon(name, 'SIGTERM');
    network?.remove();
  };
  try {
    for (const sub of ['state', 'spool', ...nodes.map((n) => join('spool', n.name))]) mkdirSync(join(dir, sub));
    const key = join(dir, 'munge.key');
    execFileSync('mungekey', ['--create', `--keyfile=${key}`]);
    chmodSync(key, 0o600);
    // munged's socket is a path, so slurmd in a node's network namespace reaches it too.
    const socket = join(dir, 'munge.sock');
    const [ctldPort, slurmdPort] = await freePorts(2);
    const memoryMB = Math.floor(((totalmem() / 2 ** 20) * 0.8) / count);
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=hpctest',
        `SlurmctldHost=localhost(${network?.bridgeAddress ?? '127.0.0.1'})`,
        `SlurmctldPort=${ctldPort}`,
        // Every slurmd listens on this port, each on its own node's address.
        `SlurmdPort=${slurmdPort}`,
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        `StateSaveLocation=${join(dir, 'state')}`,
        // Slurm puts the node's name for %n: one spool folder, PID file and log per slurmd.
        `SlurmdSpoolDir=${join(dir, 'spool', '%n')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd-%n.pid')}`,
        `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'slurmd-%n.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SlurmUser=root',
        'SlurmdUser=root',
        'ReturnToService=2',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'MpiDefault=none',
        'JobCompType=jobcomp/none',
        'AccountingStorageType=accounting_storage/none',
        // A job past its limit gets SIGTERM, then SIGKILL this many seconds later (30 by default): time to checkpoint.
        'KillWait=10',
        ...(gpus > 0 ? ['GresTypes=gpu'] : []),
        ...nodes.map(({ name, address }) =>
          (network
            ? `NodeName=${name} NodeHostname=${name} NodeAddr=${address} CPUs=1 RealMemory=${memoryMB} State=UNKNOWN`
            : `NodeName=${name} NodeHostname=${hostname()} NodeAddr=${address} CPUs=2 RealMemory=${memoryMB} State=UNKNOWN`) + (gpus > 0 ? ` Gres=gpu:${gpus}` : ''),
        ),
        ...(preemption ? ['PreemptType=preempt/partition_prio', 'PreemptMode=CANCEL'] : []),
        `PartitionName=${partition} Nodes=${nodes.map((n) => n.name).join(',')} Default=YES MaxTime=INFINITE State=UP${preemption ? ' PriorityTier=1 GraceTime=10' : ''}`,
        ...(preemption ? [`PartitionName=urgent Nodes=${nodes.map((n) => n.name).join(',')} MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF`] : []),
        '',
      ].join('\n'),
    );
    if (gpus > 0) {
      mkdirSync(join(dir, 'dev'));
      for (let i = 0; i < gpus; i++) execFileSync('mknod', [join(dir, 'dev', `fakegpu${i}`), 'c', '1', '3']);
      writeFileSync(join(dir, 'gres.conf'), `Name=gpu File=${join(dir, 'dev', `fakegpu[0-${gpus - 1}]`)}\n`);
    }
    const env = { ...process.env, SLURM_CONF: conf };
    const start = (name: string, [command, args]: [string, string[]]) => {
      const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let said = '';
      child.stderr!.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2000)));
      child.once('exit', (code) => {
        if (daemons.get(name) === child && code !== null && code !== 0) process.stderr.write(`test Slurm: ${name} exited ${code}: ${said}\n`);
      });
      daemons.set(name, child);
    };
    start('munged', ['/usr/sbin/munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munged.seed')}`]]);
    await waitFor('munged', () => readable(socket), 10_000);
    start('slurmctld', ['/usr/sbin/slurmctld', ['-D', '-i']]);
    for (const { name } of nodes) {
      const slurmd = ['/usr/sbin/slurmd', '-D', '-N', name];
      start(`slurmd ${name}`, network ? network.exec(name, slurmd) : [slurmd[0]!, slurmd.slice(1)]);
    }
    try {
      await waitFor(
        `the test Slurm's ${count === 1 ? 'node' : `${count} nodes`} to be idle`,
        () => {
          try {
            // One line per node and partition: a node in two partitions is listed twice.
            const lines = execFileSync('sinfo', ['--noheader', '--Node', '--format=%N %T'], { env, encoding: 'utf8' }).split('\n');
            return new Set(lines.filter((line) => line.trim().endsWith(' idle')).map((line) => line.split(' ')[0])).size === count;
          } catch {
            return false;
          }
        },
        30_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; slurmctld.log ends: ${tail(join(dir, 'slurmctld.log'))}; ${nodes.map((n) => `slurmd-${n.name}.log ends: ${tail(join(dir, `slurmd-${n.name}.log`))}`).join('; ')}`);
    }
    return {
      env,
      dir,
      node: nodes[0]!.name,
      nodes,
      partition,
      kill: async (daemon, node) => {
        const names = daemon !== 'slurmd' ? [daemon] : nodes.filter((n) => node === undefined || n.name === node).map((n) => `slurmd ${n.name}`);
        for (const name of names) await stopDaemon(name, 'SIGKILL');
      },
      stop,
    };
  } catch (error) {
    await stop().catch((teardown: Error) => ((error as Error).message += `; tearing down also failed: ${teardown.message}`));
    throw error;
  }
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch (error) {
    // A socket cannot be read as a file, but it is there.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}
