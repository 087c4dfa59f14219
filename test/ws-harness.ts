// Serve mode for tests: a server on a temp runs folder with a stub page, a token-carrying
// WebSocket client, and one request/answer exchange at a time.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { LabBackend } from '../src/backend/lab-backend.js';
import { decodeMessage, type ServerMessage } from '../src/backend/wire.js';
import { startServe, type ServeHandle } from '../src/serve/server.js';
import { fakeDeps } from './app-fakes.js';

export interface TestServe { readonly s: ServeHandle; readonly root: string; close(): Promise<void> }

/** A server over `makeBackend(runsRoot)`; close() also removes its folders. */
export async function serveForTest(makeBackend: (root: string) => LabBackend): Promise<TestServe> {
  const root = await mkdtemp(path.join(tmpdir(), 'lab-ws-runs-'));
  const web = await mkdtemp(path.join(tmpdir(), 'lab-ws-web-'));
  await writeFile(path.join(web, 'index.html'), '<!doctype html>');
  const s = await startServe({ host: '127.0.0.1', port: 0, runsRoot: root, rendererDir: web, backend: makeBackend(root) });
  return {
    s, root,
    close: async () => {
      await s.close();
      await rm(root, { recursive: true, force: true });
      await rm(web, { recursive: true, force: true });
    },
  };
}

/** A server over a LabBackend with the fake trainer of app-fakes.ts. */
export async function serveWithFakes(): Promise<TestServe & { deps: ReturnType<typeof fakeDeps> }> {
  const deps = fakeDeps();
  return { ...await serveForTest((r) => new LabBackend(r, deps)), deps };
}

export function connect(s: ServeHandle, maxPayload?: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, maxPayload ? { maxPayload } : {});
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one frame and waits for the next response (events are skipped); 'closed' if the server closed instead. */
export function exchange(ws: WebSocket, data: Uint8Array | string, ms = 5000): Promise<ServerMessage | 'closed'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no answer within ${ms} ms`)); }, ms);
    const onMsg = (d: Buffer) => {
      const m = decodeMessage(d) as ServerMessage;
      if (m.t === 'res') { cleanup(); resolve(m); }
    };
    const onClose = () => { cleanup(); resolve('closed'); };
    const cleanup = () => { clearTimeout(timer); ws.off('message', onMsg); ws.off('close', onClose); };
    ws.on('message', onMsg);
    ws.on('close', onClose);
    ws.send(data);
  });
}
