import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '../../host/agent/agent-client.js';
import { packageVersion } from '../../host/package-root.js';
import type { UnknownHost } from '../../host/ssh/known-hosts.js';
import { SshNodeReport } from '../../shared/remote-agent-protocol.js';
import { openSshPeer, type SshPeerOptions } from '../../host/ssh/remote-agent.js';
import { shellCommand } from '../../host/ssh/shell-quote.js';
import { connectSsh } from '../../host/ssh/ssh-connection.js';
import { SshTargetError } from '../../shared/ssh-target.js';
import { ENCRYPTED_KEY_PASSPHRASE, startSshd, type TestSshd } from '../support/sshd-server.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { CLI, tempDir, waitFor } from '../support/studio-fixture.js';
import { outsideAddress, tcpConnects } from '../support/network-probes.js';

const VERSION = packageVersion();
const neverAsked = async (): Promise<boolean> => {
  throw new Error('asked about a host already in known_hosts');
};


describe('a node over SSH (real sshd on loopback)', () => {
  let sshd: TestSshd;
  const work = tempDir('ssh-peer');
  const knownHosts = join(work, 'known_hosts');
  // Where `hpc-studio node --data-dir work` keeps its bundle too, so it is packed once.
  const bundleCacheDir = join(work, 'agent-bundles');
  const options = (patch: Partial<SshPeerOptions> = {}): SshPeerOptions => ({
    target: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`,
    identityFile: sshd.clientKey,
    knownHostsFile: knownHosts,
    confirmUnknownHost: neverAsked,
    version: VERSION,
    bundleCacheDir,
    ...patch,
  });

  beforeAll(async () => {
    sshd = await startSshd({ users: 2 });
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows an unknown host its fingerprint: declining refuses, accepting adds a hashed line ssh reads, and the next connect asks nothing', async () => {
    const asked: UnknownHost[] = [];
    const target = { host: '127.0.0.1', port: sshd.port, user: sshd.user };
    const declined = connectSsh({ target, identityFile: sshd.clientKey, knownHostsFile: knownHosts, confirmUnknownHost: async (host) => (asked.push(host), false) });
    await expect(declined).rejects.toThrow(`the host key of 127.0.0.1:${sshd.port} (${sshd.hostFingerprint()}) was not accepted; not connecting`);
    expect(asked).toEqual([{ host: '127.0.0.1', port: sshd.port, fingerprint: sshd.hostFingerprint(), keyType: 'ssh-ed25519' }]);
    expect(existsSync(knownHosts)).toBe(false);

    const accepted = await connectSsh({ target, identityFile: sshd.clientKey, knownHostsFile: knownHosts, confirmUnknownHost: async () => true });
    accepted.close();
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^\|1\|[A-Za-z0-9+/]+=*\|[A-Za-z0-9+/]+=* ssh-ed25519 AAAA\S+\n$/);
    // OpenSSH's own tools find the host in the line we wrote.
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHosts], { encoding: 'utf8' });
    expect(found).toContain(`Host [127.0.0.1]:${sshd.port} found: line 1`);

    const again = await connectSsh({ target, identityFile: sshd.clientKey, knownHostsFile: knownHosts, confirmUnknownHost: neverAsked });
    expect((await again.exec('id -un')).stdout).toBe(`${sshd.user}\n`);
    again.close();
  });

  it('gives the user all the time they need to judge a fingerprint, but gives up on a port that never speaks SSH', async () => {
    const target = { host: '127.0.0.1', port: sshd.port, user: sshd.user };
    const slowUser = async () => (await new Promise((resolve) => setTimeout(resolve, 1200)), true);
    const connection = await connectSsh({ target, identityFile: sshd.clientKey, knownHostsFile: join(work, 'slow_known_hosts'), confirmUnknownHost: slowUser, readyTimeoutMs: 500 });
    connection.close();

    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      await expect(connectSsh({ target: { ...target, port }, identityFile: sshd.clientKey, knownHostsFile: knownHosts, confirmUnknownHost: neverAsked, readyTimeoutMs: 300 })).rejects.toThrow(
        `${sshd.user}@127.0.0.1:${port}: no SSH answer within 0.3 s`,
      );
    } finally {
      silent.close();
    }
  });

  it('says what to install when the node has no Node, or one older than 20', async () => {
    const environment = join(sshd.home, '.ssh', 'environment');
    const where = `${sshd.user}@127.0.0.1:${sshd.port}`;
    writeFileSync(environment, 'PATH=/nonexistent\n');
    try {
      await expect(openSshPeer(options())).rejects.toThrow(
        new RegExp(`^node 20 or newer is needed on ${where.replaceAll('.', '\\.')} \\(found no \`node\` on the PATH .*\\); install it from your distribution or nodejs\\.org$`),
      );
      // What Debian 12's own nodejs package answers, from a script standing in for it on the node's PATH.
      const oldNode = join(sshd.home, 'old-node');
      mkdirSync(oldNode);
      writeFileSync(join(oldNode, 'node'), '#!/bin/sh\necho v18.19.0\n', { mode: 0o755 });
      writeFileSync(environment, `PATH=${oldNode}:/usr/bin:/bin\n`);
      await expect(openSshPeer(options())).rejects.toThrow(`node 20 or newer is needed on ${where} (found Node v18.19.0); install it from your distribution or nodejs.org`);
    } finally {
      rmSync(environment);
    }
  });

  it('uploads the bundle, starts the agent on the node loopback, and serves the API through the forwarded port; a second connect uploads nothing and reuses the agent', async () => {
    const firstSteps = new Set<string>();
    const first = await openSshPeer(options({ onProgress: (p) => firstSteps.add(p.step) }));
    try {
      expect(first.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(first.node).toMatchObject({ uploaded: true, reusedAgent: false, nodeVersion: process.version });
      expect([...firstSteps]).toEqual(['bundle', 'connect', 'check-node', 'upload', 'start-agent', 'forward']);
      expect(first.node.bundleDir).toMatch(new RegExp(`^${sshd.home}/\\.hpc-studio/agent/${VERSION.replaceAll('.', '\\.')}-[0-9a-f]{8}$`));
      const manifest = JSON.parse(readFileSync(join(first.node.bundleDir, 'manifest.json'), 'utf8')) as { sha256: string };
      expect(first.node.bundleDir.endsWith(manifest.sha256.slice(0, 8))).toBe(true);
      expect(statSync(join(first.node.bundleDir, 'bin', 'hpc-studio.mjs')).uid).toBe(statSync(sshd.home).uid);

      const agent = await connectAgent({ url: first.url, token: first.token, version: VERSION });
      try {
        expect((await agent.client.api.getInfo({})).version).toBe(VERSION);
        const peer = await agent.client.api.describePeer({});
        expect(peer.version).toBe(VERSION);
        // The trainer runs from the uploaded bundle: its TensorFlow.js backend loaded there.
        expect(peer.backendProblem).toBeNull();
        expect(peer.backend?.name).toBeTruthy();
      } finally {
        agent.close();
      }
      // The agent runs as the node's user, listening on its loopback only.
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${first.node.agentPid}/status`, 'utf8'))![1];
      expect(Number(uid)).toBe(statSync(sshd.home).uid);
      expect(await tcpConnects('127.0.0.1', first.node.agentPort)).toBe(true);
      expect(await tcpConnects(outsideAddress(), first.node.agentPort)).toBe(false);
      // The token travelled only inside the SSH channel: the agent's files on the node do not hold it.
      for (const file of ['agent.out', 'agent.log', 'agent-state.json']) expect(readFileSync(join(first.node.bundleDir, file), 'utf8')).not.toContain(first.token);
    } finally {
      await first.close();
    }

    // An upload replaces the whole folder, so this file would be gone and the folder a new one.
    const sentinel = join(first.node.bundleDir, 'sentinel');
    writeFileSync(sentinel, '');
    const folder = statSync(first.node.bundleDir).ino;
    const steps: string[] = [];
    const second = await openSshPeer(options({ onProgress: (p) => steps.push(p.step) }));
    try {
      expect(second.node).toMatchObject({ uploaded: false, reusedAgent: true, agentPid: first.node.agentPid, bundleDir: first.node.bundleDir });
      expect(steps).toEqual(['bundle', 'connect', 'check-node', 'start-agent', 'forward']);
      expect(existsSync(sentinel)).toBe(true);
      expect(statSync(first.node.bundleDir).ino).toBe(folder);
      const agent = await connectAgent({ url: second.url, token: second.token, version: VERSION });
      expect((await agent.client.api.getInfo({})).version).toBe(VERSION);
      agent.close();
      // More node ports ride the same connection, each its own loopback port here.
      const extra = await second.forward(second.node.agentPort);
      const again = await connectAgent({ url: `ws://127.0.0.1:${extra.port}`, token: second.token, version: VERSION });
      expect((await again.client.api.getInfo({})).version).toBe(VERSION);
      again.close();
    } finally {
      await second.close();
    }

    // A bundle whose manifest no longer matches (a disk problem, a hand edit) is replaced, not trusted.
    writeFileSync(join(first.node.bundleDir, 'manifest.json'), '{"damaged":true}');
    const third = await openSshPeer(options());
    try {
      expect(third.node).toMatchObject({ uploaded: true, reusedAgent: false, bundleDir: first.node.bundleDir });
      expect(existsSync(sentinel)).toBe(false);
      expect(readdirSync(join(sshd.home, '.hpc-studio', 'agent'))).toEqual([first.node.bundleDir.split('/').pop()]);
      const agent = await connectAgent({ url: third.url, token: third.token, version: VERSION });
      expect((await agent.client.api.getInfo({})).version).toBe(VERSION);
      agent.close();
    } finally {
      await third.close();
    }
  });

  it('treats two accounts as two nodes, each with its own agent; two apps connecting at once end with one bundle and one agent', async () => {
    const [, other] = sshd.accounts;
    const mine = await openSshPeer(options());
    const theirOptions = options({ target: `ssh://${other!.user}@127.0.0.1:${sshd.port}`, identityFile: other!.clientKey });
    const [theirs, theirsAgain] = await Promise.all([openSshPeer(theirOptions), openSshPeer(theirOptions)]);
    try {
      expect(theirs.node.agentPid).not.toBe(mine.node.agentPid);
      expect(theirsAgain.node.agentPid).toBe(theirs.node.agentPid);
      expect([theirs, theirsAgain].filter((peer) => peer.node.reusedAgent)).toHaveLength(1);
      expect(theirs.node.bundleDir.startsWith(`${other!.home}/`)).toBe(true);
      // Nothing half-done is left beside the bundle.
      expect(readdirSync(join(other!.home, '.hpc-studio', 'agent'))).toEqual([theirs.node.bundleDir.split('/').pop()]);
      const agents = await Promise.all([mine, theirs, theirsAgain].map((peer) => connectAgent({ url: peer.url, token: peer.token, version: VERSION })));
      expect(await Promise.all(agents.map(async (a) => (await a.client.api.getInfo({})).version))).toEqual([VERSION, VERSION, VERSION]);
      for (const agent of agents) agent.close();
    } finally {
      await Promise.all([mine, theirs, theirsAgain].map((peer) => peer.close()));
    }
  });

  it('logs in with an encrypted key (passphrase asked through the callback) or through a running ssh-agent', async () => {
    const target = { host: '127.0.0.1', port: sshd.port, user: sshd.user };
    const asked: string[] = [];
    const withKey = await connectSsh({
      target,
      knownHostsFile: knownHosts,
      confirmUnknownHost: neverAsked,
      identityFile: sshd.encryptedKey,
      passphrase: async (file) => (asked.push(file), ENCRYPTED_KEY_PASSPHRASE),
    });
    expect((await withKey.exec('id -un')).stdout).toBe(`${sshd.user}\n`);
    withKey.close();
    expect(asked).toEqual([sshd.encryptedKey]);
    await expect(
      connectSsh({ target, knownHostsFile: knownHosts, confirmUnknownHost: neverAsked, identityFile: sshd.encryptedKey, passphrase: async () => 'wrong' }),
    ).rejects.toThrow(`identity file ${sshd.encryptedKey}: wrong passphrase`);

    const socket = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent to listen', () => existsSync(socket), 5000);
      execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const viaAgent = await connectSsh({ target, knownHostsFile: knownHosts, confirmUnknownHost: neverAsked, agentSocket: socket });
      expect((await viaAgent.exec('id -un')).stdout).toBe(`${sshd.user}\n`);
      viaAgent.close();
    } finally {
      agent.kill();
    }
  });

  it('refuses a key the node does not know', async () => {
    await expect(openSshPeer(options({ identityFile: sshd.strangerKey }))).rejects.toThrow(
      `${sshd.user}@127.0.0.1:${sshd.port} refused the key ${sshd.strangerKey} (public key login): is its .pub line in ~${sshd.user}/.ssh/authorized_keys on the node?`,
    );
  });

  it('rejects a user or host a shell would interpret before connecting', async () => {
    const before = sshd.log().split('Connection from').length;
    for (const target of [`ssh://a;id@127.0.0.1:${sshd.port}`, `ssh://$(id)@127.0.0.1:${sshd.port}`, `ssh://\`id\`@127.0.0.1:${sshd.port}`, `ssh://me@local$(id):${sshd.port}`, `ssh://me@-oProxyCommand=x`]) {
      await expect(openSshPeer(options({ target, confirmUnknownHost: neverAsked }))).rejects.toBeInstanceOf(SshTargetError);
    }
    await expect(openSshPeer(options({ target: `ssh://a;id@127.0.0.1:${sshd.port}` }))).rejects.toThrow(`user: must be 1–64 letters, digits, '.', '_' or '-', not starting with '-'; got "a;id" (';' is not allowed)`);
    expect(sshd.log().split('Connection from').length).toBe(before);
  });

  it('hpc-studio node: refuses a new host without a terminal unless --accept-new-host, then reports the node and its agent', async () => {
    const cliKnownHosts = join(work, 'cli_known_hosts');
    const args = ['node', `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', cliKnownHosts, '--data-dir', work];
    const refused = await runCli([...args, '--json']);
    expect(refused.code).toBe(1);
    expect(jsonLines(refused.stdout)).toEqual([
      {
        type: 'error',
        message: `[127.0.0.1]:${sshd.port} is not in known_hosts (its ssh-ed25519 key is ${sshd.hostFingerprint()}); check that fingerprint with the node's administrator, then run on a terminal to accept it, or pass --accept-new-host`,
      },
    ]);

    const accepted = await runCli([...args, '--json', '--accept-new-host']);
    expect(accepted.stderr).toContain(`trusting the new host [127.0.0.1]:${sshd.port}, ssh-ed25519 key ${sshd.hostFingerprint()}`);
    expect(accepted.code).toBe(0);
    const [report] = jsonLines(accepted.stdout).map((line) => SshNodeReport.parse(line));
    expect(report).toMatchObject({ target: `${sshd.user}@127.0.0.1:${sshd.port}`, uploaded: false, reusedAgent: true, peer: { version: VERSION } });

    const human = await runCli(args);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${sshd.user}@127\\.0\\.0\\.1:${sshd.port}: HPC Studio ${VERSION.replaceAll('.', '\\.')} agent, pid ${report!.agentPid}, on the node's loopback port ${report!.agentPort} \\(already running\\)\n`));
    expect(human.stdout).toContain('API round trip over SSH: ');

    // On a terminal (a real pty, from script(1)) it asks as ssh does, and a yes adds the host.
    const ttyKnownHosts = join(work, 'tty_known_hosts');
    const command = shellCommand([process.execPath, CLI, ...args.slice(0, -4), '--known-hosts', ttyKnownHosts, '--data-dir', work]);
    const terminal = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    terminal.stdout!.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const ended = new Promise<number | null>((resolve) => terminal.once('close', resolve));
    await waitFor('the host key question', () => screen.includes('(yes/no)? '), 20_000);
    expect(screen).toContain(`The authenticity of host '[127.0.0.1]:${sshd.port}' can't be established.\r\nssh-ed25519 key fingerprint is ${sshd.hostFingerprint()}.`);
    terminal.stdin!.write('yes\r');
    expect(await ended).toBe(0);
    expect(screen).toContain('API round trip over SSH: ');
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', ttyKnownHosts], { encoding: 'utf8' })).toContain('found: line 1');

    const bad = await runCli(['node', `ssh://me@node;id`, '--json']);
    expect(bad.code).toBe(2);
    expect(jsonLines(bad.stdout)[0]).toMatchObject({ type: 'error', field: 'host' });
  });

  it('refuses a changed host key, saying how to remove the old line', async () => {
    const before = sshd.hostFingerprint();
    await sshd.regenerateHostKey();
    const now = sshd.hostFingerprint();
    await expect(openSshPeer(options())).rejects.toThrow(
      `the host key of 127.0.0.1:${sshd.port} has CHANGED (now ${now}, ${knownHosts} line 1 says ${before}): someone may be intercepting the connection; ` +
        `if the key was changed on purpose, remove the old line with: ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f '${knownHosts}'`,
    );
  });
});
