import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeychainSecretStore, type SafeStorageLike } from '../../electron/keychain-secret-store.js';
import { FileSecretStore } from '../../host/secrets/file-secret-store.js';
import { REDACTED, SecretRedactor } from '../../host/secrets/secret-redactor.js';
import { tempDir } from '../support/studio-fixture.js';

const TOKEN = 'hpc-agent-token-4f9a1c2e7b';

/**
 * Electron's safeStorage cannot run on these machines: this stand-in encrypts with a fixed XOR key
 * (so a test can tell ciphertext from plaintext) and reports the backend Linux would.
 */
function fakeSafeStorage(backend: string, available = true): SafeStorageLike {
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (text) => xor(Buffer.from(text, 'utf8')),
    decryptString: (data) => xor(data).toString('utf8'),
  };
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('headless secrets: a file only its owner can read', () => {
  it('remembers a token in a 0600 file inside a 0700 folder, and forgets it', () => {
    const dir = join(tempDir('secrets'), 'config');
    const file = join(dir, 'secrets.json');
    const store = new FileSecretStore(file, new SecretRedactor());
    expect(store.cannotRemember).toBeNull();
    store.set('agent-token:node-3:7070', TOKEN);
    expect(mode(file)).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
    expect(new FileSecretStore(file, new SecretRedactor()).get('agent-token:node-3:7070')).toBe(TOKEN);
    store.delete('agent-token:node-3:7070');
    expect(store.get('agent-token:node-3:7070')).toBeNull();
    expect(mode(file)).toBe(0o600);
  });

  it('refuses a secrets file other users can read, saying how to fix it', () => {
    const file = join(tempDir('secrets'), 'secrets.json');
    const store = new FileSecretStore(file, new SecretRedactor());
    store.set('agent-token:a', TOKEN);
    chmodSync(file, 0o644);
    expect(() => store.get('agent-token:a')).toThrow(/can be read by other users \(mode 644\); run `chmod 600/);
  });

  it('names the rule a bad name or value breaks', () => {
    const store = new FileSecretStore(join(tempDir('secrets'), 'secrets.json'), new SecretRedactor());
    expect(() => store.set('has space', TOKEN)).toThrow(/1–200 letters, digits/);
    expect(() => store.set('agent-token:a', '')).toThrow(/cannot be empty/);
    expect(() => store.set('agent-token:a', 'x'.repeat(17 * 1024))).toThrow(/at most 16 KiB/);
  });

  it('refuses a file it did not write rather than overwrite it', () => {
    const file = join(tempDir('secrets'), 'secrets.json');
    writeFileSync(file, '["not", "ours"]', { mode: 0o600 });
    expect(() => new FileSecretStore(file, new SecretRedactor()).set('agent-token:a', TOKEN)).toThrow(/not a secrets file HPC Studio wrote/);
    expect(readFileSync(file, 'utf8')).toBe('["not", "ours"]');
  });

  it('strikes every secret it handled out of text bound for a log', () => {
    const redactor = new SecretRedactor();
    new FileSecretStore(join(tempDir('secrets'), 'secrets.json'), redactor).set('agent-token:a', TOKEN);
    expect(redactor.redact(`connect ws://node:7070/?token=${TOKEN} failed`)).toBe(`connect ws://node:7070/?token=${REDACTED} failed`);
  });
});

describe('desktop secrets: the OS keychain through safeStorage', () => {
  it('stores only ciphertext, in an owner-only file, and reads it back', () => {
    const file = join(tempDir('secrets'), 'secrets.json');
    const store = new KeychainSecretStore(file, fakeSafeStorage('gnome_libsecret'), new SecretRedactor(), 'linux');
    expect(store.cannotRemember).toBeNull();
    store.set('ssh-passphrase:ada@node-3', TOKEN);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
    expect(mode(file)).toBe(0o600);
    expect(store.get('ssh-passphrase:ada@node-3')).toBe(TOKEN);
  });

  it('stores nothing where Linux has no keyring (safeStorage would fall back to plain text), and says so', () => {
    const file = join(tempDir('secrets'), 'secrets.json');
    const store = new KeychainSecretStore(file, fakeSafeStorage('basic_text'), new SecretRedactor(), 'linux');
    expect(store.cannotRemember).toMatch(/no desktop keyring .* asks each time/);
    expect(() => store.set('ssh-passphrase:ada@node-3', TOKEN)).toThrow(/cannot remember this secret/);
    expect(() => readFileSync(file)).toThrow();
    const unavailable = new KeychainSecretStore(file, fakeSafeStorage('unknown', false), new SecretRedactor(), 'darwin');
    expect(unavailable.cannotRemember).toMatch(/asks each time/);
  });

  it('names the platform keychain it uses', () => {
    const file = join(tempDir('secrets'), 'secrets.json');
    expect(new KeychainSecretStore(file, fakeSafeStorage(''), new SecretRedactor(), 'darwin').place).toBe('the macOS Keychain');
    expect(new KeychainSecretStore(file, fakeSafeStorage(''), new SecretRedactor(), 'win32').place).toMatch(/DPAPI/);
  });
});

describe('where secrets never go', () => {
  const root = new URL('../../', import.meta.url);
  const filesIn = (dir: string, ext: string) =>
    readdirSync(new URL(dir, root), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(ext))
      .map((f) => readFileSync(new URL(`${dir}/${f}`, root), 'utf8'));

  it('the built renderer keeps nothing in web storage (localStorage, sessionStorage, IndexedDB)', () => {
    const bundle = filesIn('out/renderer', '.js');
    expect(bundle.length).toBeGreaterThan(0);
    for (const code of bundle) expect(code).not.toMatch(/localStorage|sessionStorage|indexedDB/);
  });

  it('the desktop shell sends no crash reports', () => {
    for (const code of filesIn('electron', '.ts')) expect(code).not.toMatch(/crashReporter/);
  });
});
