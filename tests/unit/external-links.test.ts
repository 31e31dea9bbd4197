import { describe, expect, it } from 'vitest';
import { externalUrl } from '../../electron/external-links.js';

describe('links the desktop app opens in the system browser', () => {
  it.each([
    ['https://docs.example.org/guide?x=1#y', 'https://docs.example.org/guide?x=1#y'],
    ['http://localhost:6006/', 'http://localhost:6006/'],
    ['HTTPS://Example.ORG', 'https://example.org/'],
  ])('opens %s (as %s)', (raw, opened) => {
    expect(externalUrl(raw)).toBe(opened);
  });

  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'ms-msdt:/id PCWDiagnostic',
    'vscode://file/etc/passwd',
    'https://bank.example@evil.example/',
    'https://user:secret@example.org/',
    'not a url',
    '//example.org/no-scheme',
    '',
  ])('refuses %s', (raw) => {
    expect(externalUrl(raw)).toBeNull();
  });
});
