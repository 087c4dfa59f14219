// The only bridge between the sandboxed page and main: one named function per LabApi call
// (no generic send/invoke), each returning the unwrapped result or throwing the API error.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
// This bundle is CommonJS (a sandboxed preload cannot be an ES module) with api.ts inlined; api.ts
// imports only types, so no other app module comes along. The channel names are the ones main
// registers its handlers under.
import { IPC_EVENT_CHANNEL, IPC_PREFIX, requestMethods, type ApiErrorShape, type LabApi, type LabEvent, type LabMethod } from '../backend/api.js';

type Envelope = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

async function call<T>(method: LabMethod, payload?: unknown): Promise<T> {
  const r = (await ipcRenderer.invoke(IPC_PREFIX + method, payload)) as Envelope;
  if (r.ok) return r.result as T;
  const err = new Error(r.error.message) as Error & { code?: string };
  err.code = r.error.code;
  throw err;
}

const api: LabApi = {
  ...requestMethods(call),
  onEvent: (cb) => {
    const listener = (_e: IpcRendererEvent, ev: LabEvent): void => cb(ev);
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('policyLab', api);
// "Open model…": the picked file's path, so main reads the model's folder (the page never does).
contextBridge.exposeInMainWorld('policyLabFiles', { pathForFile: (file: File): string => webUtils.getPathForFile(file) });
