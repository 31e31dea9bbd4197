#!/usr/bin/env node
// Renders the app's icons from their SVG sources in resources/; rerun after editing one:
//   node scripts/render-icon.mjs
//   icon.svg   → icon.png (1024×1024, transparent): electron-builder makes each platform's app icon from it.
//   hpcrun.svg → hpcrun.icns and hpcrun.ico: the run-archive document icon of the .hpcrun file
//                association, which electron-builder copies as is, so the containers are built here.
// Uses Debian's Chromium (apt-get install chromium); it never downloads a browser.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const SOURCE_SIZE = 1024;
const resource = (name) => fileURLToPath(new URL(`../resources/${name}`, import.meta.url));

/** PNG renderings of an SVG at each size, keyed by size. */
async function renderPngs(browser, svgName, sizes) {
  const svg = await readFile(resource(svgName), 'utf8');
  const pngs = new Map();
  for (const size of sizes) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
    const drawn = page.locator('svg');
    const box = await drawn.boundingBox();
    if (box?.width !== SOURCE_SIZE || box.height !== SOURCE_SIZE) {
      throw new Error(`resources/${svgName} must be ${SOURCE_SIZE}×${SOURCE_SIZE} (its width and height); it renders ${box?.width}×${box?.height}`);
    }
    await drawn.evaluate((el, s) => el.setAttribute('style', `width:${s}px;height:${s}px;display:block`), size);
    pngs.set(size, await drawn.screenshot({ omitBackground: true }));
    await page.close();
  }
  return pngs;
}

/** A Windows .ico holding PNG images (Windows Vista onwards reads those). */
function icoFile(pngs) {
  const images = [...pngs];
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(([size, png], i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map(([, png]) => png)]);
}

/** macOS .icns element types that hold a PNG, and the pixel size each holds. */
const ICNS_TYPES = [['icp4', 16], ['icp5', 32], ['ic11', 32], ['icp6', 64], ['ic12', 64], ['ic07', 128], ['ic08', 256], ['ic13', 256], ['ic09', 512], ['ic14', 512], ['ic10', 1024]];

function icnsFile(pngs) {
  const elements = ICNS_TYPES.map(([type, size]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + pngs.get(size).length, 4);
    return Buffer.concat([head, pngs.get(size)]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + elements.reduce((n, e) => n + e.length, 0), 4);
  return Buffer.concat([head, ...elements]);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const app = await renderPngs(browser, 'icon.svg', [1024]);
  await writeFile(resource('icon.png'), app.get(1024));
  const doc = await renderPngs(browser, 'hpcrun.svg', [16, 24, 32, 48, 64, 128, 256, 512, 1024]);
  await writeFile(resource('hpcrun.ico'), icoFile([16, 24, 32, 48, 64, 128, 256].map((s) => [s, doc.get(s)])));
  await writeFile(resource('hpcrun.icns'), icnsFile(doc));
  process.stderr.write('render-icon: wrote resources/icon.png, resources/hpcrun.ico and resources/hpcrun.icns\n');
} finally {
  await browser.close();
}
