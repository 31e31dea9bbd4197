import { describe, expect, it } from 'vitest';
import { BadInput } from '../../host/cli/bad-input.js';
import { sshFlagTarget } from '../../host/cli/cluster-target-flags.js';

describe('--ssh USER@HOST[:PORT]', () => {
  it('takes a login node as ssh:// targets are written, port 22 unless given', () => {
    expect(sshFlagTarget('alice@login1.cluster.example')).toEqual({ user: 'alice', host: 'login1.cluster.example', port: 22 });
    expect(sshFlagTarget('alice@10.0.0.5:2222')).toEqual({ user: 'alice', host: '10.0.0.5', port: 2222 });
    expect(sshFlagTarget('alice@[fd00::5]:2222')).toEqual({ user: 'alice', host: 'fd00::5', port: 2222 });
    expect(sshFlagTarget('ssh://alice@login1:22')).toEqual({ user: 'alice', host: 'login1', port: 22 });
  });

  it('refuses anything a shell or an option parser could read as more, naming the flag and its form', () => {
    const refusal = (value: string) => {
      try {
        sshFlagTarget(value);
      } catch (error) {
        expect(error).toBeInstanceOf(BadInput);
        expect((error as BadInput).field).toBe('ssh');
        return (error as BadInput).message;
      }
      throw new Error(`${value} was accepted`);
    };
    const form = '--ssh: must be USER@HOST[:PORT] (port default 22, an IPv6 host in brackets); ';
    expect(refusal('login1')).toBe(`${form}user: missing, got "login1"`);
    expect(refusal('alice@login1;id')).toBe(`${form}host: must be a host name (letters, digits, '-', '_' and dots), an IPv4 address or an IPv6 address; got "login1;id" (';' is not allowed)`);
    expect(refusal('-oProxyCommand=id@login1')).toMatch(/^--ssh: .*user: must be 1–64 letters/);
    expect(refusal('alice@login1:0')).toMatch(/port: must be an integer from 1 to 65535/);
    expect(refusal('alice@login1/x')).toBe(`${form}got "alice@login1/x"`);
  });
});
