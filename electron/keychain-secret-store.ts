import { OwnerOnlyFile } from '../host/secrets/owner-only-file.js';
import type { SecretRedactor } from '../host/secrets/secret-redactor.js';
import { SecretName, SecretValue, type SecretStore } from '../host/secrets/secret-store.js';

/** The slice of Electron's `safeStorage` this store uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: `basic_text` when no keyring is running and "encryption" is a hard-coded key. */
  getSelectedStorageBackend?(): string;
}

/**
 * The desktop app's secrets, encrypted by the OS keychain (Keychain, DPAPI, libsecret/kwallet)
 * through `safeStorage`, the ciphertexts in an owner-only file. Where Linux has no keyring,
 * safeStorage would only obfuscate them, so nothing is stored and the app asks each time.
 */
export class KeychainSecretStore implements SecretStore {
  private readonly file: OwnerOnlyFile;

  constructor(
    path: string,
    private readonly safeStorage: SafeStorageLike,
    private readonly redactor: SecretRedactor,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.file = new OwnerOnlyFile(path);
  }

  get place(): string {
    return { darwin: 'the macOS Keychain', win32: 'Windows Credential Protection (DPAPI)' }[this.platform as string] ?? 'the desktop keyring';
  }

  get cannotRemember(): string | null {
    if (!this.safeStorage.isEncryptionAvailable()) return 'the system offers no keychain to protect it, so HPC Studio asks each time';
    if (this.platform === 'linux' && this.safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      return 'no desktop keyring (GNOME Keyring, KWallet) is running, so HPC Studio asks each time rather than store it in the clear';
    }
    return null;
  }

  get(name: string): string | null {
    const encrypted = this.file.read()[SecretName.parse(name)];
    if (encrypted === undefined || this.cannotRemember) return null;
    const value = this.safeStorage.decryptString(Buffer.from(encrypted, 'base64'));
    this.redactor.add(value);
    return value;
  }

  set(name: string, value: string): void {
    const why = this.cannotRemember;
    if (why) throw new Error(`cannot remember this secret: ${why}`);
    const secrets = this.file.read();
    secrets[SecretName.parse(name)] = this.safeStorage.encryptString(SecretValue.parse(value)).toString('base64');
    this.redactor.add(value);
    this.file.write(secrets);
  }

  delete(name: string): void {
    this.file.remove(SecretName.parse(name));
  }
}
