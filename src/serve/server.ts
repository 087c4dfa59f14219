// Serve mode: the lab in a browser. HTTP serves the built renderer and a WebSocket speaks the
// same LabApi as Electron's IPC. Bound to 127.0.0.1 only; every HTTP request and the WS upgrade
// must carry the per-session token (?token=, then the cookie it sets, or X-Policy-Lab-Token).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { LAB_METHODS, type LabEvent } from '../backend/api.js';
import { createDispatcher, toApiError } from '../backend/dispatch.js';
import type { LabBackend } from '../backend/lab-backend.js';
import { builtChildren } from '../backend/built-children.js';
import { MAX_MJCF_BYTES } from '../backend/run-schema.js';
import { decodeMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../backend/wire.js';
import { PACKAGE_ROOT } from './renderer-build.js';

export interface ServeOptions {
  readonly host?: '127.0.0.1';
  /** 0 picks a free port. */
  readonly port?: number;
  readonly runsRoot: string;
  /** The built renderer (electron-vite's out/renderer). */
  readonly rendererDir?: string;
  /** A backend to serve (tests inject one with a fake trainer); default: the real one. */
  readonly backend?: LabBackend;
}

export interface ServeHandle {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly backend: LabBackend;
  /** The real backend's trainer, viewer and study children: from the app's build, or from source (and why). */
  readonly children: { readonly from: 'build' } | { readonly from: 'source'; readonly reason: string } | { readonly from: 'injected' };
  close(): Promise<void>;
}

const COOKIE = 'policy_lab_token';
const TOKEN_HEADER = 'x-policy-lab-token';
/** Live frames are dropped (never queued) while a slow client has this much unsent. */
const MAX_BUFFERED_FOR_FRAMES = 2 * 1024 * 1024;
/**
 * Largest WebSocket message, in bytes. The largest valid request is a start with an MJCF model of
 * MAX_MJCF_BYTES UTF-8 bytes (validate.ts counts bytes too); JSON at most doubles XML text (\" and
 * \n; validate.ts refuses the control characters that would grow more), plus room for the rest.
 * The page itself sends at most 8 MiB of model files (renderer/ui/model-picker.ts MAX_PICKED_BYTES),
 * which also fits. Anything larger is answered by closing that one connection (code 1009), nothing else.
 */
export const MAX_WS_MESSAGE = 2 * MAX_MJCF_BYTES + 1024 * 1024;
/** Requests one connection may have unanswered; more are refused at once (busy). */
const MAX_PENDING_PER_SOCKET = 64;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.wasm': 'application/wasm', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

export const SERVE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self' ws://127.0.0.1:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`serve: refusing to bind to ${String(host)}; only 127.0.0.1 is allowed`);
  const rendererDir = path.resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);
  const wantPort = opts.port ?? 0;
  // Checked before anything starts: a bad port must not leave a trainer process behind.
  if (!Number.isInteger(wantPort) || wantPort < 0 || wantPort > 65535) throw new ServeError(`serve: --port must be an integer from 0 to 65535 (0: any free port), got ${String(wantPort)}`);
  const ownBackend = !opts.backend;
  const { backend, children } = opts.backend ? { backend: opts.backend, children: { from: 'injected' } as const } : await realBackend(opts.runsRoot, PACKAGE_ROOT);
  const dispatch = createDispatcher(backend);
  const token = randomBytes(24).toString('base64url');
  let port = 0;

  const authorized = (req: IncomingMessage, url: URL): 'query' | 'other' | null => {
    if (tokenEquals(url.searchParams.get('token'), token)) return 'query';
    const header = req.headers[TOKEN_HEADER];
    if (tokenEquals(typeof header === 'string' ? header : null, token)) return 'other';
    if (tokenEquals(readCookie(req.headers.cookie, COOKIE), token)) return 'other';
    return null;
  };
  // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach us.
  const hostOk = (req: IncomingMessage): boolean => req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const how = hostOk(req) ? authorized(req, url) : null;
    if (!how) return deny(res);
    if (how === 'query') res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    void serveStatic(rendererDir, url.pathname, req, res);
  });

  // A broken client connection is that client's problem: logged nowhere, never thrown.
  server.on('clientError', (_e, socket) => socket.destroy());

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });
  wss.on('error', () => { /* per-connection errors are handled on each socket */ });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const originOk = req.headers.origin === undefined || req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`;
    if (url.pathname !== '/ws' || !hostOk(req) || !originOk || !authorized(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    // An oversized frame ("Max payload size exceeded"), bad UTF-8 in a close frame or a reset
    // arrive here: ws then closes this connection; the server and any training go on.
    ws.on('error', () => ws.terminate());
    let pending = 0;
    const send = (m: ServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      let bytes: Uint8Array;
      try {
        bytes = encodeMessage(m);
      } catch (e) {
        if (m.t !== 'res') return;
        bytes = encodeMessage({ t: 'res', id: m.id, ok: false, error: { code: 'failed', message: `the answer could not be encoded: ${(e as Error).message}` } });
      }
      ws.send(bytes, (err) => { if (err) ws.terminate(); });
    };
    const unsubscribe = backend.onEvent((event: LabEvent) => {
      if (event.type === 'viewer-states' && ws.bufferedAmount > MAX_BUFFERED_FOR_FRAMES) return;
      send({ t: 'event', event });
    });
    ws.on('close', unsubscribe);
    ws.on('message', (data, isBinary) => {
      let msg: ClientMessage;
      let decoded: unknown;
      try {
        if (!isBinary) throw new Error('text frames are not part of the protocol');
        decoded = decodeMessage(toU8(data));
        msg = decoded as ClientMessage;
        if (msg?.t !== 'req' || !Number.isSafeInteger(msg.id) || !(LAB_METHODS as readonly string[]).includes(msg.method)) throw new Error('not a request');
      } catch (e) {
        // Answered under the request's id when it has a usable one, else -1.
        const id = (decoded as { id?: unknown } | null | undefined)?.id;
        send({ t: 'res', id: Number.isSafeInteger(id) ? (id as number) : -1, ok: false, error: { code: 'invalid', message: `bad message: ${String((e as Error)?.message ?? e).slice(0, 200)}` } });
        return;
      }
      if (pending >= MAX_PENDING_PER_SOCKET) {
        send({ t: 'res', id: msg.id, ok: false, error: { code: 'busy', message: `more than ${MAX_PENDING_PER_SOCKET} requests are waiting for an answer on this connection` } });
        return;
      }
      pending++;
      let answer: Promise<unknown>;
      try {
        answer = dispatch(msg.method, msg.payload);
      } catch (e) {
        answer = Promise.reject(e);
      }
      answer.then(
        (result) => send({ t: 'res', id: msg.id, ok: true, result }),
        (e: unknown) => send({ t: 'res', id: msg.id, ok: false, error: toApiError(e) }),
      ).finally(() => { pending--; });
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wantPort, host, () => { server.off('error', reject); resolve(); });
    });
  } catch (e) {
    if (ownBackend) backend.dispose();
    const code = (e as NodeJS.ErrnoException).code;
    throw new ServeError(code === 'EADDRINUSE' ? `serve: port ${wantPort} is already in use on ${host}; pick another with --port, or --port 0 for any free one`
      : code === 'EACCES' ? `serve: not allowed to listen on port ${wantPort} (ports below 1024 need privileges); pick another with --port`
        : `serve: cannot listen on ${host}:${wantPort}: ${(e as Error).message}`);
  }
  // Errors after listening (e.g. the process runs out of file descriptors) must not kill the lab.
  server.on('error', (e) => process.stderr.write(`policy-lab serve: ${(e as Error).message}\n`));
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  return {
    url, host, port, token, backend, children,
    close: async () => {
      backend.dispose();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

/** The real backend, its children from the app's build when that is up to date (built-children.ts). */
async function realBackend(runsRoot: string, root: string): Promise<{ backend: LabBackend; children: ServeHandle['children'] }> {
  const built = builtChildren(root);
  const { createLabBackend } = await import('../backend/default-deps.js');
  if (!built.ok) return { backend: createLabBackend(runsRoot), children: { from: 'source', reason: built.reason } };
  const c = built.children;
  return { backend: createLabBackend(runsRoot, c.trainer, c.viewer, c.study), children: { from: 'build' } };
}

/** Where electron-vite (and serve's on-demand build, renderer-build.ts) puts the built page. */
export const DEFAULT_RENDERER_DIR = path.join(PACKAGE_ROOT, 'out/renderer');

function tokenEquals(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

function toU8(data: unknown): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  throw new Error('unexpected frame type');
}

function deny(res: ServerResponse): void {
  plain(res, 403, 'forbidden: this Policy Lab session needs its token (open the URL printed by `policy-lab serve`)');
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

async function serveStatic(root: string, pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return plain(res, 400, 'bad path');
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(root, '.' + rel);
  if (file !== root && !file.startsWith(root + path.sep)) return plain(res, 404, 'not found');
  const s = await stat(file).catch(() => null);
  if (!s?.isFile()) {
    if (rel === '/index.html') return plain(res, 503, `the renderer is not built (${root} is missing): run \`npx electron-vite build\``);
    return plain(res, 404, 'not found');
  }
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': s.size,
    'Content-Security-Policy': SERVE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
