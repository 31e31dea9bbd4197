import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startSlurm, type TestSlurm } from './slurm-cluster.js';
import { startSshd, type TestSshd } from './sshd-server.js';
import { tempDir } from './studio-fixture.js';

export interface TestLoginNode {
  slurm: TestSlurm;
  sshd: TestSshd;
  /** `USER@127.0.0.1:PORT`, as `--ssh` takes it. */
  login: string;
  /** The user's HPC_STUDIO_DATA_DIR on the login node: where the agent there keeps cluster runs. */
  dataDir: string;
  /** Every command line sshd handed the user's login shell (its `-c …` arguments), oldest first. */
  loginShellCommands(): string[];
  /** How many times the user logged in over SSH so far. */
  logins(): number;
  /** The PID of the agent the app started on the login node. */
  agentPid(): number;
  stop(): Promise<void>;
}

/**
 * This machine as a cluster's login node, reached over a real sshd on loopback as an unprivileged
 * user; the cluster a real single-node Slurm. Its slurm.conf is outside /etc/slurm, so that user's
 * Slurm commands find it only through SLURM_CONF, which sshd gives every session (`SetEnv`, as a
 * site's sshd_config or /etc/environment would): the agent the app starts there inherits it. So
 * does HPC_STUDIO_DATA_DIR, a scratch folder as a cluster user would set. The user's login
 * shell is /bin/sh behind a wrapper that writes down what it is asked to run.
 */
export async function startLoginNode(): Promise<TestLoginNode> {
  const slurm = await startSlurm();
  const scratch = tempDir('login-node');
  chmodSync(scratch, 0o755);
  const dataDir = join(scratch, 'hpc-studio');
  let sshd: TestSshd;
  try {
    // As /etc/slurm is: every user's Slurm commands read slurm.conf (the munge key stays root's).
    chmodSync(slurm.dir, 0o755);
    sshd = await startSshd({ setEnv: { SLURM_CONF: slurm.env.SLURM_CONF!, HPC_STUDIO_DATA_DIR: dataDir } });
  } catch (error) {
    await slurm.stop();
    throw error;
  }
  mkdirSync(dataDir);
  execFileSync('chown', [sshd.user, dataDir]);
  const shellLog = join(scratch, 'login-shell.log');
  writeFileSync(shellLog, '');
  chmodSync(shellLog, 0o666);
  const shell = join(scratch, 'login-shell');
  writeFileSync(shell, `#!/bin/sh\nprintf '%s\\0' "$*" >> ${shellLog}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
  execFileSync('usermod', ['-s', shell, sshd.user]);
  return {
    slurm,
    sshd,
    login: `${sshd.user}@127.0.0.1:${sshd.port}`,
    dataDir,
    loginShellCommands: () => (existsSync(shellLog) ? readFileSync(shellLog, 'utf8').split('\0').filter(Boolean) : []),
    logins: () => sshd.log().split('\n').filter((l) => l.includes(`Accepted publickey for ${sshd.user}`)).length,
    agentPid: () => {
      const base = join(sshd.home, '.hpc-studio', 'agent');
      const state = readdirSync(base)
        .map((folder) => join(base, folder, 'agent-state.json'))
        .find(existsSync);
      if (!state) throw new Error(`no agent was started under ${base}`);
      return (JSON.parse(readFileSync(state, 'utf8')) as { pid: number }).pid;
    },
    stop: async () => {
      await sshd.stop();
      await slurm.stop();
      rmSync(dirname(dataDir), { recursive: true, force: true });
    },
  };
}
