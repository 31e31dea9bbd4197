/** The placeholder a secret's text becomes wherever it would otherwise be written down. */
export const REDACTED = '‹secret›';

/** Strips every secret it has been shown from text bound for a log, so a token pasted into an error never reaches a file. */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    // Too short to be a secret worth hiding, and hiding it would mangle ordinary text.
    if (secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }
}
