import { describe, expect, it } from 'vitest';
import { describeSshTarget, parseSshTarget, SshTarget, sshTarget, SshTargetError } from '../../shared/ssh-target.js';

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SshTargetError) return error.field;
    throw error;
  }
  throw new Error('accepted');
}

describe('SSH targets', () => {
  it('parses ssh://user@host[:port], IPv6 in brackets, port 22 by default', () => {
    expect(parseSshTarget('ssh://alice@node-7.cluster.example')).toEqual({ user: 'alice', host: 'node-7.cluster.example', port: 22 });
    expect(parseSshTarget(' ssh://bob@10.0.0.5:2222/ ')).toEqual({ user: 'bob', host: '10.0.0.5', port: 2222 });
    expect(parseSshTarget('ssh://c.d_e@[fd00::5]:2200')).toEqual({ user: 'c.d_e', host: 'fd00::5', port: 2200 });
    expect(describeSshTarget(parseSshTarget('ssh://c@[fd00::5]'))).toBe('c@[fd00::5]:22');
  });

  it('checks the fields of a form the same way', () => {
    expect(sshTarget({ host: '[::1]', port: '2222', user: 'alice' })).toEqual({ host: '::1', port: 2222, user: 'alice' });
    expect(() => sshTarget({ host: 'node', port: 0, user: 'a' })).toThrow('port: must be an integer from 1 to 65535 (default 22), got 0');
    expect(() => sshTarget({ host: 'node', port: '65536', user: 'a' })).toThrow('port: must be an integer from 1 to 65535');
    expect(() => sshTarget({ host: 'node', port: '22x', user: 'a' })).toThrow('port: must be an integer from 1 to 65535');
  });

  it('rejects shell metacharacters, whitespace and control characters, naming the field and the character', () => {
    expect(() => parseSshTarget('ssh://a;rm@node')).toThrow(`user: must be 1–64 letters, digits, '.', '_' or '-', not starting with '-'; got "a;rm" (';' is not allowed)`);
    expect(() => parseSshTarget('ssh://me@node$(id)')).toThrow(`(\'$\' is not allowed)`);
    expect(() => parseSshTarget('ssh://me@`id`')).toThrow("host: must be a host name (letters, digits, '-', '_' and dots), an IPv4 address or an IPv6 address; got \"`id`\" ('`' is not allowed)");
    expect(() => sshTarget({ host: 'node\nx', user: 'me' })).toThrow('(U+000A (whitespace or a control character) is not allowed)');
    expect(() => sshTarget({ host: 'node', user: 'me you' })).toThrow('(U+0020 (whitespace or a control character) is not allowed)');
    expect(fieldOf(() => sshTarget({ host: '-oProxyCommand=x', user: 'me' }))).toBe('host');
    expect(fieldOf(() => sshTarget({ host: 'node', user: '-l' }))).toBe('user');
    expect(fieldOf(() => sshTarget({ host: 'node', user: 'a|b' }))).toBe('user');
    expect(fieldOf(() => sshTarget({ host: 'a&&b', user: 'me' }))).toBe('host');
    expect(fieldOf(() => sshTarget({ host: '[fd00::5;]', user: 'me' }))).toBe('host');
    expect(fieldOf(() => sshTarget({ host: '', user: 'me' }))).toBe('host');
    expect(fieldOf(() => parseSshTarget('ssh://node'))).toBe('user');
    expect(fieldOf(() => parseSshTarget('http://me@node'))).toBe('target');
  });

  it('accepts IPv4 and IPv6 addresses as they are written, and nothing like them', () => {
    for (const host of ['10.0.0.5', '255.255.255.255', '::1', '::', 'fd00::5', '2001:db8:0:0:1:0:0:1', '::ffff:10.0.0.5', 'fe80::1:2:3:4:5:6']) {
      expect(sshTarget({ host, user: 'me' }).host).toBe(host);
    }
    for (const host of ['10.0.0.256', '1:2:3:4:5:6:7', '1::2::3', 'fe80::1%eth0', 'g::1', '12345::1', '1:2:3:4:5:6:7:8:9']) {
      expect(fieldOf(() => sshTarget({ host, user: 'me' })), host).toBe('host');
    }
  });

  it('gives the API the same rules as a zod schema, every bad field named', () => {
    expect(SshTarget.parse({ host: '[fd00::5]', port: 2222, user: 'me' })).toEqual({ host: 'fd00::5', port: 2222, user: 'me' });
    const result = SshTarget.safeParse({ host: 'a b', port: 70000, user: '$(id)' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['host', 'port', 'user']);
    expect(result.error!.issues.find((i) => i.path[0] === 'user')!.message).toContain(`('$' is not allowed)`);
  });
});
