// The only bridge between the sandboxed page and main: one named function per LabApi call
// (no generic send/invoke), each returning the unwrapped result or throwing the API error.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiErrorShape, LabApi, LabEvent, LabMethod } from '../backend/api.js';

// Literal strings (not imported) keep the sandboxed preload bundle free of app modules.
const PREFIX = 'lab:';
const EVENT_CHANNEL = 'lab:event';

type Envelope = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

async function call<T>(method: LabMethod, payload?: unknown): Promise<T> {
  const r = (await ipcRenderer.invoke(PREFIX + method, payload)) as Envelope;
  if (r.ok) return r.result as T;
  const err = new Error(r.error.message) as Error & { code?: string };
  err.code = r.error.code;
  throw err;
}

const api: LabApi = {
  start: (req) => call('start', req),
  pause: () => call('pause'),
  resume: (req) => call('resume', req),
  stop: () => call('stop'),
  listRuns: () => call('listRuns'),
  openRun: (req) => call('openRun', req),
  evaluate: (req) => call('evaluate', req),
  exportRun: (req) => call('exportRun', req),
  importBundle: (req) => call('importBundle', req),
  setLiveView: (req) => call('setLiveView', req),
  getCatalog: () => call('getCatalog'),
  onEvent: (cb) => {
    const listener = (_e: IpcRendererEvent, ev: LabEvent): void => cb(ev);
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('policyLab', api);
