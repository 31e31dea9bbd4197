import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePort } from './network-probes.js';
import { tempDir, waitFor } from './studio-fixture.js';

export interface TestSlurm {
  /** The environment Slurm's commands find this cluster by (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  dir: string;
  node: string;
  partition: string;
  /** Stops slurmctld, munged or slurmd by PID, for tests of a cluster that does not answer. */
  kill(daemon: 'slurmctld' | 'slurmd' | 'munged'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real single-node Slurm 22.05 from Debian (slurmctld, slurmd, munged), all in a temp folder:
 * its own munge key and socket, a generated slurm.conf with loopback ports of its own, the node's
 * CPUs and memory from this machine, `proctrack/linuxproc` and `task/none` (no cgroups needed).
 * Comes up in a few seconds; torn down by PID. Needs root, as slurmd does to start jobs.
 */
export async function startSlurm(): Promise<TestSlurm> {
  if (process.getuid?.() !== 0) throw new Error('this test needs root: it runs a real Slurm (slurmctld, slurmd as root, munged)');
  const dir = tempDir('slurm');
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  const key = join(dir, 'munge.key');
  execFileSync('mungekey', ['--create', `--keyfile=${key}`]);
  chmodSync(key, 0o600);
  const socket = join(dir, 'munge.sock');
  const node = 'hpcnode';
  const partition = 'debug';
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=hpctest',
      `SlurmctldHost=localhost(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
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
      `NodeName=${node} NodeHostname=${hostname()} NodeAddr=127.0.0.1 CPUs=2 RealMemory=${Math.floor((totalmem() / 2 ** 20) * 0.8)} State=UNKNOWN`,
      `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons = new Map<string, ChildProcess>();
  const start = (name: string, command: string, args: string[]) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2000)));
    child.once('exit', (code) => {
      if (daemons.get(name) === child && code !== null && code !== 0) process.stderr.write(`test Slurm: ${name} exited ${code}: ${said}\n`);
    });
    daemons.set(name, child);
  };
  start('munged', '/usr/sbin/munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munged.seed')}`]);
  await waitFor('munged', () => readable(socket), 10_000);
  start('slurmctld', '/usr/sbin/slurmctld', ['-D', '-i']);
  start('slurmd', '/usr/sbin/slurmd', ['-D', '-N', node]);
  const stop = async () => {
    for (const name of ['slurmd', 'slurmctld', 'munged']) {
      const child = daemons.get(name);
      daemons.delete(name);
      if (!child || child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  };
  try {
    await waitFor(
      'the test Slurm node to be idle',
      () => {
        try {
          return /\bidle\b/.test(execFileSync('sinfo', ['--noheader', '--format=%T'], { env, encoding: 'utf8' }));
        } catch {
          return false;
        }
      },
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; slurmctld.log ends: ${tail(join(dir, 'slurmctld.log'))}`);
  }
  return {
    env,
    dir,
    node,
    partition,
    kill: async (name) => {
      const child = daemons.get(name);
      daemons.delete(name);
      if (!child || child.exitCode !== null) return;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    },
    stop,
  };
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
