import { execFileSync, spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir, waitFor } from './studio-fixture.js';
import { freePort } from './network-probes.js';
import { isAlive } from '../../host/process-alive.js';
import type { NetworkNamespace } from './network-namespace.js';

export const ENCRYPTED_KEY_PASSPHRASE = 'correct horse battery';

/** An unprivileged user made for the test, with its own key (no passphrase). */
export interface TestSshAccount {
  user: string;
  home: string;
  clientKey: string;
}

export interface TestSshd extends TestSshAccount {
  /** Where sshd listens: 127.0.0.1, or the node address of the namespace it runs in. */
  host: string;
  port: number;
  /** Every user made, the first being the one above: two accounts are two nodes, each with its own agent. */
  accounts: TestSshAccount[];
  /** Another key of the first user's, encrypted with ENCRYPTED_KEY_PASSPHRASE. */
  encryptedKey: string;
  /** A key no user has. */
  strangerKey: string;
  hostKeyPub: string;
  /** What sshd logged so far (LogLevel VERBOSE: every connection). */
  log(): string;
  /** `ssh-keygen -lf` of the host key: `SHA256:…`. */
  hostFingerprint(): string;
  /** A new host key, sshd restarted on the same port: what a man in the middle would look like. */
  regenerateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  users?: number;
  /** Let clients open listeners on the node too (remote forwarding, for the ring's SSH relay); default local forwarding only. */
  remoteForwarding?: boolean;
  /** Run sshd, and so everything its users start, inside this namespace, listening on its node address. */
  namespace?: NetworkNamespace;
  /** Variables sshd sets in every session (`SetEnv`), as a site's sshd_config may set SLURM_CONF. */
  setEnv?: Record<string, string>;
}

/**
 * A real OpenSSH server on 127.0.0.1:<free port> (or in a network namespace) for one test file: a
 * generated ed25519 host key, public keys only, no root login, local forwarding only unless asked,
 * logging in `users` users it creates (root is needed for that and for sshd; without it this
 * throws, saying so).
 */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  if (process.getuid?.() !== 0) {
    throw new Error('this test needs root: it creates a throwaway user (useradd) and runs /usr/sbin/sshd as a real SSH server');
  }
  const dir = tempDir('sshd');
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const keygen = (file: string, passphrase = '') => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'hpc-studio-test', '-f', file]);
  keygen(hostKey);
  const strangerKey = join(dir, 'stranger_ed25519');
  keygen(strangerKey);
  const encryptedKey = join(dir, 'encrypted_ed25519');
  keygen(encryptedKey, ENCRYPTED_KEY_PASSPHRASE);
  const accounts: TestSshAccount[] = [];
  for (let i = 0; i < (options.users ?? 1); i++) {
    const clientKey = join(dir, `client${i}_ed25519`);
    keygen(clientKey);
    const user = `hpcsshtest-${randomBytes(3).toString('hex')}`;
    execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
    // useradd leaves the password '!' (locked), and sshd without PAM refuses locked accounts even for keys.
    execFileSync('usermod', ['-p', '*', user]);
    const home = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[5]!;
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    const keys = [readFileSync(`${clientKey}.pub`), ...(i === 0 ? [readFileSync(`${encryptedKey}.pub`)] : [])];
    writeFileSync(join(home, '.ssh', 'authorized_keys'), Buffer.concat(keys), { mode: 0o600 });
    chownSync(join(home, '.ssh'), uid, gid);
    chownSync(join(home, '.ssh', 'authorized_keys'), uid, gid);
    accounts.push({ user, home, clientKey });
  }

  const host = options.namespace?.nodeAddress ?? '127.0.0.1';
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'AuthorizedKeysFile .ssh/authorized_keys',
      'StrictModes yes',
      'UsePAM no',
      `AllowTcpForwarding ${options.remoteForwarding ? 'yes' : 'local'}`,
      'AllowAgentForwarding no',
      // Lets a test hide `node` from the user's commands with ~/.ssh/environment.
      'PermitUserEnvironment PATH',
      'X11Forwarding no',
      `AllowUsers ${accounts.map((a) => a.user).join(' ')}`,
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // One line: sshd keeps only the first SetEnv it reads.
      ...(options.setEnv ? [`SetEnv ${Object.entries(options.setEnv).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(' ')}`] : []),
      '',
    ].join('\n'),
  );
  // The privilege-separation directory sshd insists on; normally made by its systemd unit.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let sshd: ChildProcess;
  let log = '';
  const start = async () => {
    const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
    const [command, args] = options.namespace ? options.namespace.exec(argv) : [argv[0]!, argv.slice(1)];
    sshd = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const deadline = Date.now() + 10_000;
    while (!(await banner(host, port))) {
      if (sshd.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start on ${host}:${port}; it said: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const halt = async () => {
    if (sshd.exitCode !== null) return;
    const exited = new Promise((resolve) => sshd.once('exit', resolve));
    sshd.kill('SIGTERM');
    await exited;
  };
  const removeUsers = async () => {
    for (const { user, home } of accounts) {
      await stopAgentsOf(home);
      // Whatever else still runs as the user (a session sshd kept, a trainer) must not keep it alive.
      spawnSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
      execFileSync('userdel', ['-f', '-r', user], { stdio: 'ignore' });
    }
  };
  try {
    await start();
  } catch (error) {
    await removeUsers();
    throw error;
  }

  return {
    host,
    port,
    ...accounts[0]!,
    accounts,
    encryptedKey,
    strangerKey,
    hostKeyPub: `${hostKey}.pub`,
    log: () => log,
    hostFingerprint: () => execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(' ')[1]!,
    regenerateHostKey: async () => {
      await halt();
      rmSync(hostKey);
      rmSync(`${hostKey}.pub`);
      keygen(hostKey);
      await start();
    },
    stop: async () => {
      await halt();
      await removeUsers();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The agents the test started as the user keep running after SSH closes (by design); userdel needs them gone. */
async function stopAgentsOf(home: string): Promise<void> {
  const base = join(home, '.hpc-studio', 'agent');
  if (!existsSync(base)) return;
  for (const folder of readdirSync(base)) {
    try {
      const { pid } = JSON.parse(readFileSync(join(base, folder, 'agent-state.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGTERM');
      await waitFor(`the agent ${pid} to stop`, () => !isAlive(pid), 10_000);
    } catch {
      // No agent started from that folder, or it has exited.
    }
  }
}


/** True once something on the port speaks SSH first. */
function banner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('SSH-2.0-'))));
    socket.once('error', () => resolve(false));
  });
}
