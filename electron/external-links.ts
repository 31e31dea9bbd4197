/**
 * The address a link the user clicked may open in the system browser, or null: only http(s) URLs
 * that parse, carry no user name or password (`https://bank.example@evil.example/` reads as the
 * bank), and are re-serialised from the parse, never the raw text. Everything else (file:,
 * javascript:, data:, custom schemes that launch other programs) stays refused.
 */
export function externalUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.href;
}
