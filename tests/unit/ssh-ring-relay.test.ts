import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SshRingRelay } from '../../host/distributed/ssh-ring-relay.js';

// The relay's bookkeeping with both ends on this machine (the SSH ends are exercised against a real
// sshd in the integration tests): echo servers stand for the trainers' data ports.

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function echoPort(): Promise<number> {
  const server = createServer((socket) => socket.pipe(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got.length >= text.length) (socket.end(), resolve(got));
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('the ring relay', () => {
  it('pipes each connection to the target and counts the bytes both ways', async () => {
    const relay = new SshRingRelay();
    const target = await echoPort();
    const endpoint = await relay.link('1>0', { kind: 'local', host: '127.0.0.1', port: 1 }, { kind: 'local', host: '127.0.0.1', port: target });
    expect(endpoint.host).toBe('127.0.0.1');
    expect(await roundTrip(endpoint.port, 'x'.repeat(1000))).toBe('x'.repeat(1000));
    expect(relay.bytes).toBe(2000);
    await relay.close();
  });

  it('keeps a link the next ring still uses and closes the ones it left behind', async () => {
    const relay = new SshRingRelay();
    const [a, b] = [await echoPort(), await echoPort()];
    const here = { kind: 'local' as const, host: '127.0.0.1', port: 1 };
    const kept = await relay.link('1>0', here, { kind: 'local', host: '127.0.0.1', port: a });
    const dropped = await relay.link('0>2', here, { kind: 'local', host: '127.0.0.1', port: b });
    expect(await relay.link('1>0', here, { kind: 'local', host: '127.0.0.1', port: a })).toEqual(kept);
    await relay.retain(new Set(['1>0']));
    expect(await roundTrip(kept.port, 'still here')).toBe('still here');
    await expect(roundTrip(dropped.port, 'gone')).rejects.toThrow(/ECONNREFUSED/);
    await relay.close();
    await expect(roundTrip(kept.port, 'gone')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('closes a connection whose target cannot be reached, so the trainer tries again', async () => {
    const relay = new SshRingRelay();
    const closed = await echoPort();
    servers.pop()!.close();
    const endpoint = await relay.link('1>0', { kind: 'local', host: '127.0.0.1', port: 1 }, { kind: 'local', host: '127.0.0.1', port: closed });
    const ended = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: endpoint.port });
      socket.on('close', () => resolve(true));
      socket.on('error', () => {});
    });
    expect(ended).toBe(true);
    await relay.close();
  });
});
