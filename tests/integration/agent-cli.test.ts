import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectAgent } from '../../host/agent/agent-client.js';
import { AGENT_SECRETS_FILE } from '../../host/agent/agent-token.js';
import { packageVersion } from '../../host/package-root.js';
import { startAgent } from '../support/agent-process.js';
import { runCli, startCli } from '../support/cli-process.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';
import { outsideAddress, tcpConnects } from '../support/network-probes.js';

const VERSION = packageVersion();


describe('hpc-studio agent', () => {
  it('prints ws://127.0.0.1:PORT and its new token once, binds loopback only, keeps the token 0600, and stops on SIGTERM', async () => {
    const dataDir = tempDir('agent-cli');
    const agent = startCli(['agent', '--port', '0', '--data-dir', dataDir]);
    let stderr = '';
    agent.child.stderr!.on('data', (c: string) => (stderr += c));
    const url = await waitFor('the URL', () => /^ws:\/\/127\.0\.0\.1:(\d+)\n/.exec(agent.stdout()), 20_000);
    const port = Number(url[1]);
    const token = (await waitFor('the token', () => /^token: ([\w-]+)$/m.exec(stderr)))[1]!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    expect(await tcpConnects('127.0.0.1', port)).toBe(true);
    expect(await tcpConnects(outsideAddress(), port)).toBe(false);
    expect(statSync(join(dataDir, AGENT_SECRETS_FILE)).mode & 0o777).toBe(0o600);

    const printed = await runCli(['agent', '--print-token', '--data-dir', dataDir]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(`${token}\n`);

    agent.child.kill('SIGTERM');
    const ended = await agent.result;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toBe(`ws://127.0.0.1:${port}\n`);
    // Shown once, as `token: …`; never in the agent's log lines.
    expect(ended.stderr.split(token)).toHaveLength(2);
  });

  it('reuses the stored token on a second start and prints no token', async () => {
    const first = await startAgent();
    expect(first.listening).toMatchObject({ tokenCreated: true, version: VERSION });
    const token = first.listening.token!;
    await first.stop();

    const second = await startAgent([], first.dataDir);
    try {
      expect(second.listening.tokenCreated).toBe(false);
      expect(second.listening.token).toBeUndefined();
      expect(second.stderr()).not.toContain(token);
      const agent = await connectAgent({ url: second.listening.url, token, version: VERSION });
      expect((await agent.client.api.getInfo({})).version).toBe(VERSION);
      agent.close();
    } finally {
      await second.stop();
    }
  });

  it('binds every address only with --listen 0.0.0.0', async () => {
    const agent = await startAgent(['--listen', '0.0.0.0']);
    try {
      const { port, token } = agent.listening;
      for (const host of ['127.0.0.1', outsideAddress()]) {
        const connection = await connectAgent({ url: `ws://${host}:${port}`, token: token!, version: VERSION });
        expect((await connection.client.api.getInfo({})).version).toBe(VERSION);
        connection.close();
      }
    } finally {
      await agent.stop();
    }
  });

  it('refuses bad --port and --listen with the flag and the accepted range', async () => {
    const dataDir = tempDir('agent-flags');
    const port = await runCli(['agent', '--port', '70000', '--data-dir', dataDir]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: must be an integer from 0 to 65535');
    const listen = await runCli(['agent', '--listen', 'everywhere', '--json', '--data-dir', dataDir]);
    expect(listen.code).toBe(2);
    expect(JSON.parse(listen.stdout)).toMatchObject({ type: 'error', field: '--listen', message: expect.stringContaining('must be an IP address of this machine') });
    const foreign = await runCli(['agent', '--listen', '203.0.113.9', '--port', '0', '--data-dir', dataDir]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('--listen: 203.0.113.9 is not an address of this machine');
    // Starts that failed made no token nobody was shown: the first start that listens shows it.
    expect(existsSync(join(dataDir, AGENT_SECRETS_FILE))).toBe(false);
  });

  it('refuses a token file that other users can read, as ssh refuses a loose key', async () => {
    const dataDir = tempDir('agent-loose');
    expect((await runCli(['agent', '--print-token', '--data-dir', dataDir])).code).toBe(0);
    chmodSync(join(dataDir, AGENT_SECRETS_FILE), 0o644);
    const refused = await runCli(['agent', '--port', '0', '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${join(dataDir, AGENT_SECRETS_FILE)} can be read by other users (mode 644)`);
  });
});
