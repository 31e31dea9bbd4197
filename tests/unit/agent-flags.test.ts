import { describe, expect, it } from 'vitest';
import { parseAgentAddress } from '../../host/agent/agent-flags.js';

describe('agent --port and --listen', () => {
  it('binds loopback on port 7077 unless told otherwise', () => {
    expect(parseAgentAddress({})).toEqual({ address: { host: '127.0.0.1', port: 7077 } });
    expect(parseAgentAddress({ port: '0', listen: '0.0.0.0' })).toEqual({ address: { host: '0.0.0.0', port: 0 } });
    expect(parseAgentAddress({ listen: '[::1]' })).toEqual({ address: { host: '::1', port: 7077 } });
  });

  it('refuses anything but an IP address and a port from 0 to 65535, naming the flag', () => {
    for (const port of ['65536', '-1', '1e3', '80.5', '', 'http']) {
      expect(parseAgentAddress({ port })).toEqual({ errors: [{ field: '--port', message: expect.stringContaining('--port: must be an integer from 0 to 65535') }] });
    }
    for (const listen of ['localhost', 'node-3.cluster', '', '10.0.0', '*']) {
      expect(parseAgentAddress({ listen })).toEqual({ errors: [{ field: '--listen', message: expect.stringContaining('--listen: must be an IP address of this machine') }] });
    }
  });
});
