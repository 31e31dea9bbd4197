import { OwnerOnlyFile } from './owner-only-file.js';
import type { SecretRedactor } from './secret-redactor.js';
import { SecretName, SecretValue, type SecretStore } from './secret-store.js';

/** Headless mode's secrets (CLI, agent): in plain text, in a file only their owner can read. */
export class FileSecretStore implements SecretStore {
  readonly cannotRemember = null;
  private readonly file: OwnerOnlyFile;

  constructor(
    path: string,
    private readonly redactor: SecretRedactor,
  ) {
    this.file = new OwnerOnlyFile(path);
  }

  get place(): string {
    return `${this.file.path} (readable only by you)`;
  }

  get(name: string): string | null {
    const value = this.file.read()[SecretName.parse(name)] ?? null;
    if (value !== null) this.redactor.add(value);
    return value;
  }

  set(name: string, value: string): void {
    const secrets = this.file.read();
    secrets[SecretName.parse(name)] = SecretValue.parse(value);
    this.redactor.add(value);
    this.file.write(secrets);
  }

  delete(name: string): void {
    this.file.remove(SecretName.parse(name));
  }
}
