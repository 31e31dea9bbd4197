import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { bracketed } from '../../shared/ssh-target.js';

/** What the user is asked about a host seen for the first time, as `ssh` would show it. */
export interface UnknownHost {
  host: string;
  port: number;
  /** `SHA256:…`, base64 without padding, exactly as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  keyType: string;
}

/** Resolves true to trust the key (it is then added to known_hosts), false to refuse the connection. */
export type ConfirmUnknownHost = (host: UnknownHost) => Promise<boolean>;

/** The connection was refused because of the host key: changed, revoked, or not accepted by the user. */
export class HostKeyRefused extends Error {
  constructor(
    readonly reason: 'changed' | 'revoked' | 'declined',
    message: string,
  ) {
    super(message);
    this.name = 'HostKeyRefused';
  }
}

export interface KnownHostEntry {
  /** 1-based, as `ssh` and editors count. */
  line: number;
  marker: '@revoked' | '@cert-authority' | null;
  /** The first field: comma-separated patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/** `SHA256:` and the unpadded base64 of the key blob's SHA-256, as OpenSSH prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a wire-format public key blob names first (`string type`, RFC 4253 §6.6). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) throw new Error('host key blob too short');
  const length = key.readUInt32BE(0);
  if (length > 64 || 4 + length > key.length) throw new Error('host key blob is malformed');
  return key.subarray(4, 4 + length).toString('latin1');
}

/** How known_hosts names a host: bare on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift()! : null;
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined || !/^[A-Za-z0-9+/]+=*$/.test(key)) return;
    entries.push({ line: index + 1, marker: marker as KnownHostEntry['marker'], hosts, keyType, key: Buffer.from(key, 'base64') });
  });
  return entries;
}

/** Whether an entry's host field names `name` (as made by knownHostsName): hashed, or patterns with `*`, `?` and `!` negation. */
export function entryNames(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(name);
}

/**
 * A line for `host:port` and `key`, hashed like `ssh-keygen -H` and Debian's default `HashKnownHosts
 * yes`: the file then does not list the hosts this user reaches, should it leak. `ssh` reads it as usual.
 */
export function hashedKnownHostsLine(host: string, port: number, key: Buffer, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(knownHostsName(host, port)).digest('base64');
  return `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

export type HostKeyVerdict =
  | { kind: 'known'; line: number }
  | { kind: 'changed'; line: number; knownFingerprint: string }
  | { kind: 'revoked'; line: number }
  | { kind: 'unknown' };

/** What the entries say of `key` for `host:port`: one matching key trusts it, any other key known for the host refuses it. */
export function judgeHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && entryNames(e, name));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const plain = mine.filter((e) => e.marker === null);
  const match = plain.find((e) => e.key.equals(key));
  if (match) return { kind: 'known', line: match.line };
  if (plain.length === 0) return { kind: 'unknown' };
  const type = keyTypeOf(key);
  const other = plain.find((e) => e.keyType === type) ?? plain[0]!;
  return { kind: 'changed', line: other.line, knownFingerprint: fingerprintOf(other.key) };
}

/** The user's known_hosts file: checks a node's host key against it and adds the ones the user accepts. */
export class KnownHostsFile {
  constructor(readonly path: string = defaultKnownHostsFile()) {}

  entries(): KnownHostEntry[] {
    return existsSync(this.path) ? parseKnownHosts(readFileSync(this.path, 'utf8')) : [];
  }

  /** The key types known for the host, so the handshake can ask for one of those first (as `ssh` does). */
  knownKeyTypes(host: string, port: number): string[] {
    const name = knownHostsName(host, port);
    return [...new Set(this.entries().filter((e) => e.marker === null && entryNames(e, name)).map((e) => e.keyType))];
  }

  /** Resolves when `key` may be trusted for `host:port`; rejects with HostKeyRefused otherwise. */
  async verify(host: string, port: number, key: Buffer, confirmUnknownHost: ConfirmUnknownHost): Promise<void> {
    const verdict = judgeHostKey(this.entries(), host, port, key);
    const fingerprint = fingerprintOf(key);
    const at = `${bracketed(host)}:${port}`;
    const removal = port === 22 ? host : `[${host}]:${port}`;
    switch (verdict.kind) {
      case 'known':
        return;
      case 'revoked':
        throw new HostKeyRefused('revoked', `the host key of ${at} (${fingerprint}) is marked @revoked on line ${verdict.line} of ${this.path}; refusing to connect`);
      case 'changed':
        throw new HostKeyRefused(
          'changed',
          `the host key of ${at} has CHANGED (now ${fingerprint}, ${this.path} line ${verdict.line} says ${verdict.knownFingerprint}): ` +
            `someone may be intercepting the connection; if the key was changed on purpose, remove the old line with: ssh-keygen -R '${removal}'` +
            (this.path === defaultKnownHostsFile() ? '' : ` -f '${this.path}'`),
        );
      case 'unknown': {
        const accepted = await confirmUnknownHost({ host, port, fingerprint, keyType: keyTypeOf(key) });
        if (!accepted) throw new HostKeyRefused('declined', `the host key of ${at} (${fingerprint}) was not accepted; not connecting`);
        mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
        const text = existsSync(this.path) ? readFileSync(this.path, 'utf8') : '';
        const separator = text === '' || text.endsWith('\n') ? '' : '\n';
        appendFileSync(this.path, `${separator}${hashedKnownHostsLine(host, port, key)}\n`, { mode: 0o600 });
      }
    }
  }
}
