import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LabBackend } from '../src/backend/lab-backend.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../src/backend/wire.js';
import { startServe, type ServeHandle } from '../src/serve/server.js';
import { fakeCatalog, fakeDeps, metricsRow } from './app-fakes.js';

let root: string;
let web: string;
let deps: ReturnType<typeof fakeDeps>;
let s: ServeHandle;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-serve-runs-'));
  web = await mkdtemp(path.join(tmpdir(), 'lab-serve-web-'));
  await writeFile(path.join(web, 'index.html'), '<!doctype html><title>lab</title>');
  await writeFile(path.join(web, 'app.js'), 'console.log(1)');
  deps = fakeDeps();
  s = await startServe({ host: '127.0.0.1', port: 0, runsRoot: root, rendererDir: web, backend: new LabBackend(root, deps) });
});
afterAll(async () => {
  await s?.close();
  await rm(root, { recursive: true, force: true });
  await rm(web, { recursive: true, force: true });
});

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: p, headers: { host: `127.0.0.1:${s.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws${query}`, { headers });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket, pred: (m: ServerMessage) => boolean): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const on = (data: Buffer): void => {
      const m = decodeMessage(data) as ServerMessage;
      if (pred(m)) { ws.off('message', on); resolve(m); }
    };
    ws.on('message', on);
  });
}

describe('serve mode', () => {
  it('binds to 127.0.0.1 only and refuses other hosts', async () => {
    expect(s.host).toBe('127.0.0.1');
    expect(s.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/\\?token=[A-Za-z0-9_-]{32}$`));
    await expect(startServe({ host: '0.0.0.0' as '127.0.0.1', runsRoot: root, rendererDir: web })).rejects.toThrow(/only 127\.0\.0\.1/);
  });

  it('every HTTP request needs the token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/app.js')).status).toBe(403);
    expect((await get('/?token=wrong')).status).toBe(403);
    expect((await get(`/?token=${s.token}x`)).status).toBe(403);
    const ok = await get(`/?token=${s.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>lab</title>');
    expect(String(ok.headers['content-security-policy'])).toContain("script-src 'self'");
    const cookie = String((ok.headers['set-cookie'] as string[])[0]).split(';')[0];
    expect(cookie).toBe(`policy_lab_token=${s.token}`);
    expect((await get('/app.js', { cookie })).status).toBe(200);
    expect((await get('/app.js', { cookie: 'policy_lab_token=nope' })).status).toBe(403);
    expect((await get('/app.js', { 'x-policy-lab-token': s.token })).status).toBe(200);
  });

  it('rejects a foreign Host header (DNS rebinding) even with the token', async () => {
    expect((await get(`/?token=${s.token}`, { host: 'evil.example:80' })).status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const r = await get(`/%2e%2e/%2e%2e/etc/passwd?token=${s.token}`);
    expect(r.status).toBe(404);
  });

  it('the WebSocket upgrade needs the token', async () => {
    await expect(connect('')).rejects.toThrow(/403/);
    await expect(connect('?token=bad')).rejects.toThrow(/403/);
    await expect(connect(`?token=${s.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const ws = await connect(`?token=${s.token}`);
    ws.close();
  });

  it('speaks LabApi over the socket: requests, validation errors, binary viewer-states events', async () => {
    const ws = await connect(`?token=${s.token}`);
    const cat = nextMessage(ws, (m) => m.t === 'res' && m.id === 1);
    ws.send(encodeMessage({ t: 'req', id: 1, method: 'getCatalog', payload: null }));
    const r1 = await cat;
    expect(r1).toMatchObject({ ok: true, result: { tasks: [{ name: fakeCatalog.tasks[0].name }] } });

    const bad = nextMessage(ws, (m) => m.t === 'res' && m.id === 2);
    ws.send(encodeMessage({ t: 'req', id: 2, method: 'viewerControl', payload: { speed: 500 } }));
    expect(await bad).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/speed: must be between 0.1 and 4/) } });

    const started = nextMessage(ws, (m) => m.t === 'res' && m.id === 3);
    ws.send(encodeMessage({ t: 'req', id: 3, method: 'start', payload: { task: 'InvertedPendulum', algo: 'ppo', seed: 1, totalSteps: 5000, backend: 'cpu', checkpointEvery: 1, algoConfig: {} } }));
    expect(await started).toMatchObject({ ok: true });
    const frameP = nextMessage(ws, (m) => m.t === 'event' && m.event.type === 'viewer-states');
    const metricsP = nextMessage(ws, (m) => m.t === 'event' && m.event.type === 'metrics');
    const poses = new Float32Array([0.1, 0.2, 0.3, 1, 0, 0, 0]);
    const state = { type: 'viewer-state', seq: 1, simTime: 0.5, poses, mu: new Float32Array([0.25]), std: new Float32Array([0.5]), episode: 0, episodeStep: 10, episodeReturn: 9, update: 3, steps: 300, push: new Float32Array(0), settings: { paused: false, speed: 1, deterministic: true, swapAtOnce: false } } as const;
    deps.viewers[0].emit({ type: 'viewer-states', intervalMs: 1000 / 60, states: [state, { ...state, seq: 2, simTime: 0.52, poses: new Float32Array([0.4, 0.5, 0.6, 1, 0, 0, 0]) }] });
    deps.spawned[0].emit({ type: 'metrics', row: { ...metricsRow(1, 3), approxKl: Number.NaN } });
    const frame = await frameP;
    if (frame.t !== 'event' || frame.event.type !== 'viewer-states') throw new Error('not viewer states');
    expect(frame.event.intervalMs).toBeCloseTo(1000 / 60, 9);
    expect(frame.event.states.map((x) => x.seq)).toEqual([1, 2]);
    expect(frame.event.states[0].poses).toBeInstanceOf(Float32Array);
    expect(Array.from(frame.event.states[0].poses)).toEqual(Array.from(poses));
    expect(Array.from(frame.event.states[1].poses)).toEqual([0.4, 0.5, 0.6, 1, 0, 0, 0].map(Math.fround));
    expect(Array.from(frame.event.states[0].std)).toEqual([0.5]);
    const metrics = await metricsP;
    if (metrics.t !== 'event' || metrics.event.type !== 'metrics') throw new Error('not metrics');
    expect(Number.isNaN(metrics.event.row.approxKl)).toBe(true);
    expect(metrics.event.row.returnMean).toBe(3);

    const junk = nextMessage(ws, (m) => m.t === 'res' && m.id === -1);
    ws.send('{"t":"req","id":9,"method":"start"}');
    expect(await junk).toMatchObject({ ok: false, error: { code: 'invalid' } });
    ws.close();
  });
});

describe('wire format', () => {
  it('round-trips typed arrays of each kind and non-finite numbers', () => {
    const msg = { a: new Float64Array([1.5, -2]), b: [new Int32Array([3, -4]), new Uint8Array([5])], c: { x: Number.NaN, y: -Infinity, z: 2 }, s: 'é' };
    const back = decodeMessage(encodeMessage(msg)) as typeof msg;
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(Array.from(back.a)).toEqual([1.5, -2]);
    expect(Array.from(back.b[0])).toEqual([3, -4]);
    expect(back.b[1]).toBeInstanceOf(Uint8Array);
    expect(back.c.x).toBeNaN();
    expect(back.c.y).toBe(-Infinity);
    expect(back.s).toBe('é');
  });
  it('rejects truncated or lying messages', () => {
    const enc = encodeMessage({ p: new Float32Array(4) });
    expect(() => decodeMessage(enc.subarray(0, enc.length - 4))).toThrow(/out of bounds/);
    expect(() => decodeMessage(new Uint8Array([255, 255, 255, 255]))).toThrow(/bad header length/);
  });
});
