import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startCli } from './cli-process.js';
import { ROOT, waitFor } from './studio-fixture.js';

/** Where E2E screenshots go, for a person to look at after a run. */
export const SHOTS = join(ROOT, 'test-output', 'e2e');
mkdirSync(SHOTS, { recursive: true });

export interface ServeSession {
  /** The address `serve` prints, token included, as a user would open it. */
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** A real `serve` process over `dataDir` and Debian's Chromium to look at it. */
export async function startServeSession(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServeSession> {
  const serve = startCli(['serve', '--port', '0', '--data-dir', dataDir], env);
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    serve.child.kill('SIGTERM');
    await serve.result;
  };
  try {
    const url = await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m.exec(serve.stdout())?.[0], 20_000);
    browser = await launchChromium();
    return { url, browser, close };
  } catch (e) {
    // The caller never gets a session to close, so `serve` would outlive the test file.
    await close();
    throw e;
  }
}

export interface PageOptions extends BrowserContextOptions {
  /** Count `console.error` output as a failure too, not only uncaught errors. */
  countConsoleErrors?: boolean;
}

/** A fresh page at `url` (light, 1440×900 unless told otherwise), and the errors it raises from the first load on. */
export async function openPage(browser: Browser, url: string, options: PageOptions = {}): Promise<{ page: Page; errors: string[] }> {
  const { countConsoleErrors = false, ...contextOptions } = options;
  const page = await browser.newPage({ colorScheme: 'light', viewport: { width: 1440, height: 900 }, ...contextOptions });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (countConsoleErrors) page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  return { page, errors };
}

/**
 * The run a page just started, once the run list shows it done: the page's status badge may still
 * be the previous run's while the new one is being selected, so the list's entry is what counts.
 */
export async function startedRunDone(page: Page, dataDir: string, before: readonly string[], timeoutMs = 120_000): Promise<string> {
  const runId = await waitFor('the new run', () => readdirSync(join(dataDir, 'runs')).find((id) => !before.includes(id)), timeoutMs);
  const entry = page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await entry.count()) > 0 ? await entry.getAttribute('data-status') : null;
    if (status === 'done') return runId;
    if (status === 'failed' || status === 'stopped') throw new Error(`run ${runId} ended ${status}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for run ${runId} to finish (last status ${status})`);
    await page.waitForTimeout(200);
  }
}
