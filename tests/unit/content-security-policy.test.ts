import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../host/web/content-security-policy.js';

// Google's CSP Evaluator (the engine behind csp-evaluator.withgoogle.com), as published on npm.
const require = createRequire(import.meta.url);
const { CspParser } = require('csp_evaluator/dist/parser.js') as typeof import('csp_evaluator/dist/parser.js');
const { CspEvaluator } = require('csp_evaluator/dist/evaluator.js') as typeof import('csp_evaluator/dist/evaluator.js');
const { Version } = require('csp_evaluator/dist/csp.js') as typeof import('csp_evaluator/dist/csp.js');
const { Severity } = require('csp_evaluator/dist/finding.js') as typeof import('csp_evaluator/dist/finding.js');

function findings(policy: string) {
  return new CspEvaluator(new CspParser(policy).csp, Version.CSP3)
    .evaluate()
    .map((f) => ({ directive: f.directive, severity: Severity[f.severity], description: f.description }));
}

// 'self' is risky where the origin also serves JSONP, AngularJS or user uploads; the app's
// origin (file:// in the desktop app, serve's loopback port) serves only the built bundle.
const ACCEPTED = [expect.objectContaining({ directive: 'script-src', severity: 'MEDIUM_MAYBE' })];

function directives(policy: string): string[] {
  return policy.split(';').map((d) => d.trim()).filter(Boolean);
}

/** The policy index.html carries in its meta tag, for the moments before any header applies. */
function metaPolicy(): string {
  const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
  const match = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  if (!match) throw new Error('renderer/index.html has no Content-Security-Policy meta tag');
  return match[1]!;
}

describe('the UI content security policy', () => {
  it('has no finding from CSP Evaluator but the one about self-hosted scripts, which does not apply', () => {
    expect(findings(CONTENT_SECURITY_POLICY)).toEqual(ACCEPTED);
  });

  it('allows no eval, no inline script or style, no plugins and no framing', () => {
    const policy = directives(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(eval|inline|hashes)|wasm-unsafe-eval|\*/);
    expect(policy).toEqual(expect.arrayContaining(["default-src 'none'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]));
  });

  it('is the same in index.html, less frame-ancestors, which a meta tag cannot set', () => {
    expect(directives(metaPolicy()).sort()).toEqual(directives(CONTENT_SECURITY_POLICY).filter((d) => !d.startsWith('frame-ancestors')).sort());
  });

  it.each([
    ["script-src 'self' 'unsafe-eval'"],
    ["script-src 'self' 'unsafe-inline'"],
    ['script-src *'],
  ])('would flag the policy weakened to %s (the check can fail)', (scriptSrc) => {
    expect(findings(CONTENT_SECURITY_POLICY.replace("script-src 'self'", scriptSrc))).not.toEqual(ACCEPTED);
  });
});
