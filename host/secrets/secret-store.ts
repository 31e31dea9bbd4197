import { z } from 'zod';

/** Where remembered secrets (agent tokens, SSH passphrases) go; a store that cannot keep them safely keeps none. */
export interface SecretStore {
  /** Where it keeps them, said to the user beside a "remember" box. */
  readonly place: string;
  /** Null when the store can remember secrets; otherwise why not, and the app asks each time instead. */
  readonly cannotRemember: string | null;
  get(name: string): string | null;
  /** Throws when `cannotRemember` is set. */
  set(name: string, value: string): void;
  delete(name: string): void;
}

/** What a secret is filed under, e.g. `agent-token:gpu-node-3:7070` or `ssh-passphrase:alice@node`. */
export const SecretName = z
  .string()
  .regex(/^[\w.:@/-]{1,200}$/, { error: 'a secret name is 1–200 letters, digits or . _ : @ / -' });

/** A secret's value: non-empty text, at most 16 KiB. */
export const SecretValue = z
  .string()
  .min(1, { error: 'a secret cannot be empty' })
  .max(16 * 1024, { error: 'a secret is at most 16 KiB' });

/** The stored form: secret name → value (plain in a 0600 file, encrypted by the OS keychain in the app). */
export const SecretsFile = z.record(SecretName, z.string());
