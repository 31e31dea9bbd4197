import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateMemory, fashionMnistShape } from '../../shared/memory-estimate.js';
import type { OptimizerKind } from '../../shared/run-config.js';
import { formatBytes } from '../../shared/run-labels.js';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

/** The real UI in Debian's Chromium against a real `serve` process and a real trainer. */
describe('the dashboard in a browser', () => {
  let session: ServeSession;

  beforeAll(async () => {
    session = await startServeSession(tempDir('e2e'));
  });

  afterAll(() => session?.close());

  const points = async (page: Page, chart = 'loss-chart') => Number(await page.getByTestId(chart).getAttribute('data-points'));

  it('trains a run live, changes its LR, stops it, finds it in history after a reload, and deletes it', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { countConsoleErrors: true });
    await expect.poll(() => page.url()).not.toContain('token=');

    // The System panel: live CPU and memory, and (no NVIDIA GPU on this machine) why there is no GPU.
    await expect.poll(() => page.getByTestId('gpu-status').textContent(), { timeout: 10_000 }).toMatch(/No GPU detected\s*nvidia-smi not found/);
    await expect.poll(() => page.getByTestId('memory-used').textContent()).toMatch(/^\d+\.\d \/ \d+\.\d GiB$/);
    // Live: new samples keep arriving (their values may not change on a machine pegged at 100 %).
    const sampleTimes = new Set<string>();
    await expect
      .poll(async () => sampleTimes.add((await page.getByTestId('system-panel').getAttribute('data-sample-time')) ?? '').size, { timeout: 15_000 })
      .toBeGreaterThan(3);
    expect(await page.getByTestId('cpu-total').textContent()).toMatch(/^\d+ %$/);

    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('20');
    await page.getByTestId('field-batchSize').fill('32');
    await page.getByTestId('field-limit').fill('3000');
    // The memory-fit estimate beside Start follows the form, against the machine's free memory.
    const optimizer = (await page.getByTestId('field-optimizer').inputValue()) as OptimizerKind;
    const estimate = estimateMemory({ model: 'mlp', optimizer, batchSize: 32 }, fashionMnistShape(3000));
    await expect.poll(() => page.getByTestId('memory-estimate-total').textContent()).toBe(formatBytes(estimate.totalBytes));
    await expect.poll(() => page.getByTestId('memory-available').textContent()).toMatch(/^\d+\.\d+ GiB$/);
    await page.getByTestId('field-lr').fill('0');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('error-lr').textContent()).toMatch(/lr: must be a finite number > 0/);

    await page.getByTestId('field-lr').fill('0.002');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('backend-label').textContent(), { timeout: 30_000 }).toMatch(/hpc-native\s*OpenBLAS/);
    await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(5);
    const before = await points(page);
    await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(before + 10);
    await expect.poll(() => page.getByTestId('trainer-usage').textContent(), { timeout: 10_000 }).toMatch(/trainer pid \d+: CPU \d+ % · RSS \d+\.\d GiB/);
    await expect.poll(() => points(page, 'hardware-chart'), { timeout: 10_000 }).toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('run-tensors').textContent(), { timeout: 10_000 }).toMatch(/^\d+ · \d+\.\d+ MiB$/);
    await expect.poll(() => points(page, 'tensors-chart'), { timeout: 10_000 }).toBeGreaterThan(1);

    await page.getByTestId('lr-input').fill('0.0005');
    await page.getByTestId('apply-button').click();
    await expect.poll(() => page.getByTestId('loss-chart').getAttribute('data-markers'), { timeout: 20_000 }).toMatch(/lr→0\.0005|lr→5e-4/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-training.png') });

    await page.getByTestId('stop-button').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toMatch(/stopped/i);

    await page.reload();
    const item = page.getByTestId('run-item').first();
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 20_000 }).toBe('stopped');
    await item.click();
    await expect.poll(() => points(page), { timeout: 20_000 }).toBeGreaterThan(before + 10);
    // A stored run: its measured step peak and trainer RSS beside the estimate.
    await expect.poll(() => page.getByTestId('memory-estimate-training').textContent()).toMatch(/\d MiB/);
    await expect.poll(() => page.getByTestId('memory-peak-tensors').textContent()).toMatch(/MiB \(\d+ % (above|below) the estimate\)/);
    await expect.poll(() => page.getByTestId('memory-peak-rss').textContent()).toMatch(/\d (MiB|GiB)$/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-history.png') });

    const { page: dark } = await openPage(session.browser, session.url, { colorScheme: 'dark' });
    await dark.getByTestId('run-item').first().click();
    await expect.poll(() => points(dark), { timeout: 20_000 }).toBeGreaterThan(0);
    await dark.screenshot({ path: join(SHOTS, 'dashboard-dark.png') });

    await dark.getByTestId('delete-button').click();
    await expect.poll(() => dark.getByTestId('confirm-button').isVisible()).toBe(true);
    await dark.getByTestId('confirm-button').click();
    await expect.poll(() => dark.getByTestId('run-item').count(), { timeout: 10_000 }).toBe(0);
    expect(errors).toEqual([]);
  });
});
