#!/usr/bin/env node
// Renders resources/icon.svg to resources/icon.png (1024×1024, transparent), the image
// electron-builder turns into each platform's app icon. Rerun after editing the svg:
//   node scripts/render-icon.mjs
// Uses Debian's Chromium (apt-get install chromium); it never downloads a browser.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const SIZE = 1024;
const svgPath = fileURLToPath(new URL('../resources/icon.svg', import.meta.url));
const pngPath = fileURLToPath(new URL('../resources/icon.png', import.meta.url));

const svg = await readFile(svgPath, 'utf8');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const rendered = await page.locator('svg').boundingBox();
  if (rendered?.width !== SIZE || rendered.height !== SIZE) {
    throw new Error(`resources/icon.svg must be ${SIZE}×${SIZE} (width and height attributes); it renders ${rendered?.width}×${rendered?.height}`);
  }
  await page.locator('svg').screenshot({ path: pngPath, omitBackground: true });
  process.stderr.write(`render-icon: wrote ${pngPath}\n`);
} finally {
  await browser.close();
}
