import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, SHOTS, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';
import { writeShapeFolder } from '../support/synthetic-shapes.js';

/** The new-run form previewing a generated image folder, in Debian's Chromium against a real `serve`. */
describe('the image-folder preview in a browser', () => {
  let session: ServeSession;

  beforeAll(async () => {
    session = await startServeSession(tempDir('e2e-images'));
  });

  afterAll(() => session?.close());

  it('shows sample thumbnails and split counts per class and the skipped corrupt file, then trains on the folder', async () => {
    const folder = writeShapeFolder({ perClass: 10, seed: 5 });
    const { page, errors } = await openPage(session.browser, session.url);

    await page.getByTestId('field-dataset').selectOption('images');
    // No Electron preload here: the path is typed, and there is no Browse button.
    expect(await page.getByTestId('browse-button').count()).toBe(0);
    await page.getByTestId('field-imageDir').fill(join(folder.dir, 'missing'));
    await expect.poll(() => page.getByTestId('preview-error').textContent(), { timeout: 10_000 }).toMatch(/dataset\.dir: .*missing does not exist/);

    await page.getByTestId('field-imageDir').fill(folder.dir);
    const classes = page.getByTestId('preview-class');
    await expect.poll(() => classes.count(), { timeout: 10_000 }).toBe(3);
    expect(await classes.evaluateAll((els) => els.map((e) => e.getAttribute('data-class')))).toEqual(['bar', 'circle', 'square']);
    expect(await page.getByTestId('preview-count').allTextContents()).toEqual(['8 / 1 / 1', '8 / 1 / 1', '8 / 1 / 1']);
    await expect.poll(() => page.getByTestId('preview-thumb').count()).toBe(12);
    const loaded = await page.getByTestId('preview-thumb').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth === 32));
    expect(loaded).toBe(true);
    expect(await page.getByTestId('preview-summary').textContent()).toMatch(/3 classes · 24 train \/ 3 validation \/ 3 test images .*→ input 32×32×3/);
    expect(await page.getByTestId('preview-unreadable').textContent()).toMatch(/1 file skipped.*broken\.png: not a valid PNG/s);
    await page.screenshot({ path: join(SHOTS, 'image-folder-preview.png') });

    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-batchSize').fill('8');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toMatch(/done/i);
    expect(await page.locator('#run-title').textContent()).toContain(`images:${folder.dir}`);
    expect(errors).toEqual([]);
  });
});
