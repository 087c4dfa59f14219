// Electron main: one locked-down window, one validated IPC handler per LabApi call, and the
// LabBackend that owns the trainer processes (started from the built out/main/trainer.js).
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL, IPC_PREFIX, LAB_METHODS, type LabEvent } from '../backend/api.js';
import { childProgramsIn } from '../backend/built-children.js';
import { createLabBackend } from '../backend/default-deps.js';
import { createDispatcher, toApiError } from '../backend/dispatch.js';
import type { LabBackend } from '../backend/lab-backend.js';
import { isAllowedExternal } from './external-links.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererFile = path.join(here, '../renderer/index.html');
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** POLICY_LAB_RUNS, else settings.json's runsRoot, else <userData>/runs. */
function runsRoot(): string {
  if (process.env.POLICY_LAB_RUNS) return path.resolve(process.env.POLICY_LAB_RUNS);
  const settings = path.join(app.getPath('userData'), 'settings.json');
  if (existsSync(settings)) {
    try {
      const s = JSON.parse(readFileSync(settings, 'utf8')) as { runsRoot?: unknown };
      if (typeof s.runsRoot === 'string' && s.runsRoot.length > 0) return path.resolve(s.runsRoot);
    } catch {
      // A broken settings file falls back to the default rather than blocking the app.
    }
  }
  return path.join(app.getPath('userData'), 'runs');
}

/** Only our own page may call the API. */
function isOurPage(url: string | undefined): boolean {
  if (!url) return false;
  if (devUrl) return url.startsWith(new URL(devUrl).origin + '/');
  return url === pathToFileURL(rendererFile).href || url.startsWith(pathToFileURL(rendererFile).href + '#') || url.startsWith(pathToFileURL(rendererFile).href + '?');
}

function lockDown(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // External links open in the user's browser, never inside the app — and only the allowed sites.
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1500, height: 940, minWidth: 1000, minHeight: 640, backgroundColor: '#12151b', show: false,
    title: 'Policy Lab',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true,
      allowRunningInsecureContent: false, experimentalFeatures: false, spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererFile);
  return win;
}

function registerIpc(backend: LabBackend): void {
  const dispatch = createDispatcher(backend);
  for (const method of LAB_METHODS) {
    ipcMain.handle(IPC_PREFIX + method, async (event: IpcMainInvokeEvent, payload: unknown) => {
      if (!isOurPage(event.senderFrame?.url)) return { ok: false, error: { code: 'invalid', message: 'request from an unknown page refused' } };
      try {
        return { ok: true, result: await dispatch(method, payload) };
      } catch (e) {
        return { ok: false, error: toApiError(e) };
      }
    });
  }
}

app.on('web-contents-created', (_e, contents) => lockDown(contents));

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));

  // The trainer, the real-time viewer (src/core/viewer) and a study's trial processes
  // (src/core/studies/trial-child.ts): this build's entries, run by Electron's binary as plain Node.
  const children = childProgramsIn(here, { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, []);
  const backend = createLabBackend(runsRoot(), children.trainer, children.viewer, children.study);
  registerIpc(backend);
  const win = createWindow();
  const forward = (e: LabEvent): void => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, e);
  };
  backend.onEvent(forward);
  app.on('before-quit', () => backend.dispose());
});

app.on('window-all-closed', () => app.quit());
