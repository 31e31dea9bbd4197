import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, screen, session, shell } from 'electron';
import { serveApi } from '../host/api-server.js';
import { defaultDataDir, PRODUCT_NAME } from '../host/data-dir.js';
import { createStudioHost } from '../host/studio-host.js';
import { CONTENT_SECURITY_POLICY } from '../host/web/content-security-policy.js';
import { handleFolderPicker } from './folder-picker.js';
import { externalUrl } from './external-links.js';
import { ipcServerChannel } from './ipc-transport.js';
import { utilityProcessTrainer } from './utility-trainer.js';
import { restoreWindowState, saveWindowState } from './window-state.js';

/** A thin shell: a secured window over the same host services `serve` and the CLI use. */

app.setName(PRODUCT_NAME);
app.enableSandbox();

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const host = createStudioHost({
  dataDir: defaultDataDir(),
  version: app.getVersion(),
  spawnTrainer: utilityProcessTrainer(join(here, 'trainer.js')),
});

const MINIMUM_SIZE = { width: 960, height: 600 };

function createWindow(): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const saved = restoreWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea), MINIMUM_SIZE);
  const win = new BrowserWindow({
    ...(saved?.bounds ?? { width: 1440, height: 900 }),
    minWidth: MINIMUM_SIZE.width,
    minHeight: MINIMUM_SIZE.height,
    title: PRODUCT_NAME,
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  if (saved?.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    // Remembering the place is a comfort: failing to must not keep the window from closing.
    try {
      saveWindowState(stateFile, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
    } catch (error) {
      console.warn(`window position not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  const trusted = (url: string) => url === rendererUrl;
  serveApi(
    ipcServerChannel(ipcMain, win.webContents, trusted, (why) => console.warn(why)),
    host.service,
    (error) => console.error(error),
  );

  win.webContents.on('will-navigate', (event, url) => {
    if (!trusted(url)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) void shell.openExternal(external);
    else console.warn(`refused to open ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });

  let closing = false;
  win.on('close', (event) => {
    const runId = host.supervisor.activeRunId;
    if (closing || !runId) return;
    event.preventDefault();
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Stop run and quit', 'Keep training'],
      defaultId: 1,
      cancelId: 1,
      message: `Run ${runId} is training.`,
      detail: 'Quitting stops it cleanly: a checkpoint is written and you can resume it later.',
    });
    if (choice !== 0) return;
    closing = true;
    void host.supervisor.stopAll().finally(() => win.close());
  });

  void win.loadFile(rendererIndex);
  return win;
}

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  void host.monitor.start();
  handleFolderPicker(
    ipcMain,
    (senderId, url) => url === rendererUrl && BrowserWindow.getAllWindows().some((w) => w.webContents.id === senderId),
    async (senderId) => {
      const win = BrowserWindow.getAllWindows().find((w) => w.webContents.id === senderId)!;
      const chosen = await dialog.showOpenDialog(win, { properties: ['openDirectory'] });
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    },
    (why) => console.warn(why),
  );
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('will-quit', () => host.monitor.stop());

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('before-quit', (event) => {
  if (!host.supervisor.activeRunId) return;
  event.preventDefault();
  void host.supervisor.stopAll().finally(() => app.quit());
});
