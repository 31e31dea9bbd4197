import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  hashedKnownHostsLine,
  judgeHostKey,
  KnownHostsFile,
  keyTypeOf,
  parseKnownHosts,
} from '../../host/ssh/known-hosts.js';
import { tempDir } from '../support/studio-fixture.js';

const dir = tempDir('known-hosts');

/** A real key from ssh-keygen: its public line, wire blob and the fingerprint ssh-keygen prints. */
function makeKey(type: 'ed25519' | 'ecdsa' | 'rsa', name: string) {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const [keyType, base64] = line.split(' ');
  const printed = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { keyType: keyType!, base64: base64!, blob: Buffer.from(base64!, 'base64'), printed };
}

const ed = makeKey('ed25519', 'ed');
const ecdsa = makeKey('ecdsa', 'ec');
const rsa = makeKey('rsa', 'rsa');
const other = makeKey('ed25519', 'other');

describe('known_hosts', () => {
  it('prints fingerprints and key types as OpenSSH does', () => {
    for (const key of [ed, ecdsa, rsa]) {
      expect(fingerprintOf(key.blob)).toBe(key.printed);
      expect(keyTypeOf(key.blob)).toBe(key.keyType);
    }
    expect(ecdsa.keyType).toBe('ecdsa-sha2-nistp256');
  });

  it('matches plain, [host]:port, pattern and hashed (ssh-keygen -H) entries', () => {
    const file = join(dir, 'hashed');
    writeFileSync(
      file,
      [
        '# comment',
        `node-1,10.0.0.1 ${ed.keyType} ${ed.base64}`,
        `[node-2]:2222 ${ecdsa.keyType} ${ecdsa.base64}`,
        `*.cluster.example,!evil.cluster.example ${rsa.keyType} ${rsa.base64}`,
        '',
      ].join('\n'),
    );
    const plain = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(judgeHostKey(plain, 'node-1', 22, ed.blob)).toEqual({ kind: 'known', line: 2 });
    expect(judgeHostKey(plain, 'NODE-1', 22, ed.blob)).toEqual({ kind: 'known', line: 2 });
    expect(judgeHostKey(plain, 'node-1', 2222, ed.blob)).toEqual({ kind: 'unknown' });
    expect(judgeHostKey(plain, 'node-2', 2222, ecdsa.blob)).toEqual({ kind: 'known', line: 3 });
    expect(judgeHostKey(plain, 'gpu7.cluster.example', 22, rsa.blob)).toEqual({ kind: 'known', line: 4 });
    expect(judgeHostKey(plain, 'evil.cluster.example', 22, rsa.blob)).toEqual({ kind: 'unknown' });

    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const hashed = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(hashed.filter((e) => e.hosts.startsWith('|1|'))).toHaveLength(3);
    expect(judgeHostKey(hashed, '10.0.0.1', 22, ed.blob).kind).toBe('known');
    expect(judgeHostKey(hashed, 'node-2', 2222, ecdsa.blob).kind).toBe('known');
    expect(judgeHostKey(hashed, 'node-2', 22, ecdsa.blob).kind).toBe('unknown');
  });

  it('calls a different key for a known host changed, naming the line of the same key type', () => {
    const entries = parseKnownHosts(`node ${ecdsa.keyType} ${ecdsa.base64}\nnode ${ed.keyType} ${ed.base64}\n`);
    expect(judgeHostKey(entries, 'node', 22, other.blob)).toEqual({ kind: 'changed', line: 2, knownFingerprint: ed.printed });
    const revoked = parseKnownHosts(`@revoked * ${other.keyType} ${other.base64}\n`);
    expect(judgeHostKey(revoked, 'node', 22, other.blob)).toEqual({ kind: 'revoked', line: 1 });
  });

  it('writes hashed lines that OpenSSH finds, and refuses a changed key with the ssh-keygen -R command', async () => {
    const path = join(dir, 'accept');
    const known = new KnownHostsFile(path);
    await known.verify('node', 2222, ed.blob, async (host) => {
      expect(host).toEqual({ host: 'node', port: 2222, fingerprint: ed.printed, keyType: 'ssh-ed25519' });
      return true;
    });
    expect(readFileSync(path, 'utf8')).not.toContain('node');
    expect(execFileSync('ssh-keygen', ['-F', '[node]:2222', '-f', path], { encoding: 'utf8' })).toContain('found: line 1');
    expect(hashedKnownHostsLine('node', 22, ed.blob, Buffer.alloc(20, 1)).split(' ')[0]).toBe(
      `|1|${Buffer.alloc(20, 1).toString('base64')}|${execHmac('node')}`,
    );
    await known.verify('node', 2222, ed.blob, async () => {
      throw new Error('asked again');
    });
    await expect(known.verify('node', 2222, other.blob, async () => true)).rejects.toThrow(
      `the host key of node:2222 has CHANGED (now ${other.printed}, ${path} line 1 says ${ed.printed}): someone may be intercepting the connection; ` +
        `if the key was changed on purpose, remove the old line with: ssh-keygen -R '[node]:2222' -f '${path}'`,
    );
    await expect(known.verify('fresh', 22, other.blob, async () => false)).rejects.toThrow(`the host key of fresh:22 (${other.printed}) was not accepted; not connecting`);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

/** What `ssh-keygen -H` computes for a name with the salt of twenty 0x01 bytes, by OpenSSL's hand rather than ours. */
function execHmac(name: string): string {
  const key = Buffer.alloc(20, 1).toString('hex');
  return execFileSync('openssl', ['dgst', '-sha1', '-mac', 'HMAC', '-macopt', `hexkey:${key}`, '-binary'], { input: name }).toString('base64');
}
