import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, type SshConnection } from '../../host/ssh/ssh-connection.js';
import { startSshd, type TestSshd } from '../support/sshd-server.js';
import { tempDir } from '../support/studio-fixture.js';

// The SSH connection's listener on a node (ssh2 forwardIn), as the ring relay uses it: a real sshd
// that allows remote forwarding, and one that allows only local forwarding.

const open = (sshd: TestSshd) =>
  connectSsh({
    target: { user: sshd.user, host: sshd.host, port: sshd.port },
    identityFile: sshd.clientKey,
    knownHostsFile: join(tempDir('ssh-listener'), 'known_hosts'),
    confirmUnknownHost: async () => true,
  });

describe("a listener on a node's loopback, over SSH", () => {
  let allowing: TestSshd;
  let refusing: TestSshd;
  const connections: SshConnection[] = [];
  beforeAll(async () => {
    [allowing, refusing] = await Promise.all([startSshd({ remoteForwarding: true }), startSshd()]);
  });
  afterAll(async () => {
    connections.forEach((c) => c.close());
    await Promise.all([allowing?.stop(), refusing?.stop()]);
  });

  it('hands each connection made to it on the node to the app as a stream, both ways, until closed', async () => {
    const ssh = await open(allowing);
    connections.push(ssh);
    const listener = await ssh.listenOnNode((stream) => stream.pipe(stream));
    // A program on the node connects to 127.0.0.1:PORT there; sshd tunnels it back to us, which echo.
    const echoed = await new Promise<string>((resolve, reject) => {
      ssh.forwardOut('127.0.0.1', listener.port).then((client) => {
        let text = '';
        client.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.length >= 11) (client.destroy(), resolve(text));
        });
        client.end('hello relay');
      }, reject);
    });
    expect(echoed).toBe('hello relay');
    await listener.close();
    await expect(ssh.forwardOut('127.0.0.1', listener.port)).rejects.toThrow(/would not forward to 127\.0\.0\.1/);
  });

  it("says the node's sshd must allow remote forwarding when it does not", async () => {
    const ssh = await open(refusing);
    connections.push(ssh);
    await expect(ssh.listenOnNode(() => {})).rejects.toThrow(
      /127\.0\.0\.1:\d+: the node's sshd would not listen on 127\.0\.0\.1 for the relay: it must allow remote forwarding \(AllowTcpForwarding yes\)/,
    );
  });
});
