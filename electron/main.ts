import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, safeStorage, screen, session, shell } from 'electron';
import log from 'electron-log/main';
import { serveApi } from '../host/api-server.js';
import { defaultDataDir, PRODUCT_NAME } from '../host/data-dir.js';
import { importRunArchive } from '../host/run-archive.js';
import { SecretRedactor } from '../host/secrets/secret-redactor.js';
import { createStudioHost } from '../host/studio-host.js';
import { CONTENT_SECURITY_POLICY } from '../host/web/content-security-policy.js';
import type { AppCommand } from '../shared/app-command.js';
import { RUN_ARCHIVE_EXTENSION } from '../shared/run-archive.js';
import { appMenuTemplate, type AppMenuActions } from './app-menu.js';
import { configureAppLog } from './app-log.js';
import { loadAppSettings, saveAppSettings, toggledTheme } from './app-settings.js';
import { handleFolderPicker } from './folder-picker.js';
import { KeychainSecretStore } from './keychain-secret-store.js';
import { APP_COMMAND_CHANNEL } from './ipc-channel.js';
import { ipcServerChannel } from './ipc-transport.js';
import { RunEndNotifier } from './run-end-notifier.js';
import { bringToFront, claimSingleInstance, runArchivesIn } from './single-instance.js';
import { TaskbarProgress } from './taskbar-progress.js';
import { utilityProcessTrainer } from './utility-trainer.js';
import { guardWebContents, hardenSession } from './web-hardening.js';
import { restoreWindowState, saveWindowState } from './window-state.js';

/** A thin shell: a secured window over the same host services `serve` and the CLI use. */

app.setName(PRODUCT_NAME);
app.enableSandbox();

const redactor = new SecretRedactor();
const logFile = configureAppLog(log, app.getPath('logs'), redactor);
Object.assign(console, log.functions);
log.errorHandler.startCatching({ showDialog: false });

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const MINIMUM_SIZE = { width: 960, height: 600 };
const isAppPage = (url: string) => url === rendererUrl;

app.on('web-contents-created', (_event, contents) =>
  guardWebContents(
    contents,
    isAppPage,
    // guardWebContents passes only http(s) URLs without credentials (tests/unit/web-hardening.test.ts).
    (url) => void shell.openExternal(url), // eng-disable OPEN_EXTERNAL_JS_CHECK
    (why) => console.warn(why),
  ),
);

let window: BrowserWindow | null = null;
/** Run archives asked to be opened before the window could show them (macOS sends them before ready). */
const archivesToOpen: string[] = [];
let onLaunchedAgain: (argv: string[], cwd: string) => void = (argv, cwd) => archivesToOpen.push(...runArchivesIn(argv, cwd));

if (claimSingleInstance(app, (argv, cwd) => onLaunchedAgain(argv, cwd))) startApp();


function startApp(): void {
  const dataDir = defaultDataDir();
  const settingsFile = join(app.getPath('userData'), 'settings.json');
  const settings = loadAppSettings(settingsFile);
  nativeTheme.themeSource = settings.theme;
  const host = createStudioHost({
    dataDir,
    version: app.getVersion(),
    spawnTrainer: utilityProcessTrainer(join(here, 'trainer.js')),
    // Made by `npm run dist` (packaging/prebuild-agent-bundle.ts): the package inside app.asar cannot be bundled.
    agentBundleDir: app.isPackaged ? join(process.resourcesPath, 'agent-bundle') : undefined,
    // Agent tokens go to the OS keychain; where Linux has none, nowhere (the Peers panel asks again).
    secrets: new KeychainSecretStore(join(app.getPath('userData'), 'secrets.json'), safeStorage, redactor),
  });
  console.info(`${PRODUCT_NAME} ${app.getVersion()} starting; data in ${dataDir}, log in ${logFile}`);

  archivesToOpen.push(...runArchivesIn(process.argv.slice(1), process.cwd()));
  app.on('open-file', (event, path) => {
    event.preventDefault();
    archivesToOpen.push(path);
    if (window) void openArchives();
  });

  const command = (c: AppCommand) => {
    if (window && !window.isDestroyed()) window.webContents.send(APP_COMMAND_CHANNEL, c);
  };

  async function openArchives(): Promise<void> {
    for (const file of archivesToOpen.splice(0)) {
      try {
        const runId = await importRunArchive(createReadStream(file), host.store.runsDir);
        console.info(`imported ${file} as ${runId}`);
        command({ type: 'open-run', runId });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.warn(`could not import ${file}: ${message}`);
        dialog.showErrorBox('Run archive not imported', `${file}\n\n${message}`);
      }
    }
  }

  onLaunchedAgain = (argv, cwd) => {
    archivesToOpen.push(...runArchivesIn(argv, cwd));
    if (!window) return;
    bringToFront(window);
    void openArchives();
  };

  let paused = false;
  const refreshMenu = () => {
    const activeRunId = host.supervisor.activeRunId;
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        appMenuTemplate(
          menuActions,
          { activeRun: activeRunId ? { id: activeRunId, paused } : null, dark: nativeTheme.shouldUseDarkColors, developer: !app.isPackaged },
          process.platform,
        ),
      ),
    );
  };
  const activeRun = (act: (runId: string) => unknown) => {
    const runId = host.supervisor.activeRunId;
    if (runId) void Promise.resolve(act(runId)).catch((error: unknown) => console.warn(error));
  };
  const menuActions: AppMenuActions = {
    newRun: () => command({ type: 'new-run' }),
    startRun: () => command({ type: 'start-run' }),
    pauseOrResumeRun: () => activeRun((runId) => (paused ? host.service.unpauseRun({ runId }) : host.service.pauseRun({ runId }))),
    stopRun: () => activeRun((runId) => host.service.stopRun({ runId })),
    importRun: () => {
      if (!window) return;
      void dialog
        .showOpenDialog(window, { properties: ['openFile', 'multiSelections'], filters: [{ name: 'HPC Studio run', extensions: [RUN_ARCHIVE_EXTENSION.slice(1)] }] })
        .then((chosen) => {
          archivesToOpen.push(...chosen.filePaths);
          return openArchives();
        });
    },
    openDataFolder: () => void shell.openPath(dataDir),
    toggleDarkMode: () => {
      settings.theme = toggledTheme(nativeTheme.shouldUseDarkColors);
      nativeTheme.themeSource = settings.theme;
      saveAppSettings(settingsFile, settings);
    },
    openLogFile: () => void shell.openPath(logFile),
    showLogsFolder: () => shell.showItemInFolder(logFile),
  };

  const notifier = new RunEndNotifier({
    windowFocused: () => window?.isFocused() ?? false,
    notify: ({ title, body, runId }) => {
      if (!Notification.isSupported()) return;
      const notification = new Notification({ title, body });
      notification.on('click', () => {
        if (window) bringToFront(window);
        command({ type: 'open-run', runId });
      });
      notification.show();
    },
  });
  let taskbar: TaskbarProgress | null = null;
  host.supervisor.onRecord((runId, record) => {
    if (record.type === 'paused' || record.type === 'resumed') {
      paused = record.type === 'paused';
      refreshMenu();
    }
    taskbar?.onRecord(record);
    notifier.onRecord(runId, record);
  });
  host.supervisor.onStatusChange(() => {
    if (!host.supervisor.activeRunId) paused = false;
    refreshMenu();
  });
  nativeTheme.on('updated', refreshMenu);

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
        // The preload exposes no Node API: one message channel, the folder picker and the menu's commands.
        preload: join(here, '../preload/index.cjs'), // eng-disable PRELOAD_JS_CHECK
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webviewTag: false,
        spellcheck: false,
        // A middle click must not open links in a new window: setWindowOpenHandler denies them, and this stops them earlier.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    if (saved?.maximized) win.maximize();
    win.once('ready-to-show', () => win.show());
    win.webContents.once('did-finish-load', () => void openArchives());
    win.on('focus', () => taskbar?.clearFailure());
    win.on('close', () => {
      // Remembering the place is a comfort: failing to must not keep the window from closing.
      try {
        saveWindowState(stateFile, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
      } catch (error) {
        console.warn(`window position not saved: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    win.on('closed', () => {
      window = null;
      taskbar = null;
    });

    serveApi(
      ipcServerChannel(ipcMain, win.webContents, isAppPage, (why) => console.warn(why)),
      host.service,
      (error) => console.error(error),
    );

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
    window = win;
    taskbar = new TaskbarProgress(win);
    return win;
  }

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession, CONTENT_SECURITY_POLICY);
    void host.monitor.start();
    host.peers.start();
    host.clusterRuns.start();
    handleFolderPicker(
      ipcMain,
      (senderId, url) => isAppPage(url) && BrowserWindow.getAllWindows().some((w) => w.webContents.id === senderId),
      async (senderId) => {
        const win = BrowserWindow.getAllWindows().find((w) => w.webContents.id === senderId)!;
        const chosen = await dialog.showOpenDialog(win, { properties: ['openDirectory'] });
        return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
      },
      (why) => console.warn(why),
    );
    refreshMenu();
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('will-quit', () => {
    host.monitor.stop();
    host.peers.stop();
    host.clusterRuns.stop();
    host.clusters.close();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('before-quit', (event) => {
    if (!host.supervisor.activeRunId) return;
    event.preventDefault();
    void host.supervisor.stopAll().finally(() => app.quit());
  });
}
