// Serve mode under hostile input: an oversized frame closes only that connection, an MJCF text
// over the byte limit (counted as UTF-8, like the WebSocket limit) is refused by name, a bad or
// busy --port exits with a clear error instead of hanging, and a missing page is built on demand.
import { readdirSync, utimesSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MJCF_BYTES } from '../src/backend/run-schema.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../src/backend/wire.js';
import { ensureAppBuilt, RendererBuildError } from '../src/serve/renderer-build.js';
import { MAX_WS_MESSAGE, startServe, type ServeHandle } from '../src/serve/server.js';
import { MAX_PICKED_BYTES } from '../src/renderer/ui/model-picker.js';
import { cli } from './cli-run.js';
import { connect as connectTo, serveWithFakes, type TestServe } from './ws-harness.js';
import { fakeCatalog, fakeDeps } from './app-fakes.js';
import { goodStart } from './fuzz-arbitraries.js';

const render = { task: 'InvertedPendulum', geoms: [], bodyNames: ['world'], trackBody: 0 };
let t: TestServe;
let root: string;
let deps: ReturnType<typeof fakeDeps>;
let s: ServeHandle;

beforeAll(async () => {
  const f = await serveWithFakes();
  ({ s, root, deps } = f);
  t = f;
});
afterAll(async () => { await t?.close(); });

// The client accepts big answers; only the server's limit is under test.
const connect = () => connectTo(s, 64 * 1024 * 1024);

function answer(ws: WebSocket, id: number): Promise<ServerMessage | { closed: number }> {
  return new Promise((resolve) => {
    ws.on('message', (d: Buffer) => {
      const m = decodeMessage(d) as ServerMessage;
      if (m.t === 'res' && m.id === id) resolve(m);
    });
    ws.on('close', (code) => resolve({ closed: code }));
  });
}

/** Errors nobody handled while fn ran: in `policy-lab serve` each of them would have ended the process. */
async function uncaughtDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const h = (e: unknown) => seen.push(e);
  process.on('uncaughtException', h);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('uncaughtException', h);
  }
  return seen;
}

const req = (id: number, method: string, payload: unknown) => encodeMessage({ t: 'req', id, method, payload });
const mjcf = (filler: string, n: number) => `<mujoco model="m"><!-- ${filler.repeat(n)} --><worldbody/></mujoco>`;

describe('oversized and over-limit messages', () => {
  it('a 9 MB frame closes that one connection (1009); the server and the training run go on', async () => {
    const ws0 = await connect();
    const started = answer(ws0, 1);
    ws0.send(req(1, 'start', goodStart));
    expect(await started).toMatchObject({ ok: true });
    const trainer = deps.spawned[0];
    trainer.emit({ type: 'started', runDir: deps.created[0], backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });

    const big = await connect();
    const crashes = await uncaughtDuring(async () => {
      const closed = answer(big, 2);
      big.send(req(2, 'start', { ...goodStart, pad: 'x'.repeat(9 * 1024 * 1024) }));
      expect(await closed).toEqual({ closed: 1009 });
    });
    expect(crashes).toEqual([]);

    // The first connection and a new one are served; the run was not touched.
    const cat = answer(ws0, 3);
    ws0.send(req(3, 'getCatalog', null));
    expect(await cat).toMatchObject({ ok: true });
    const ws2 = await connect();
    const list = answer(ws2, 4);
    ws2.send(req(4, 'listRuns', null));
    expect(await list).toMatchObject({ ok: true });
    expect(trainer.killed).toBeNull();
    expect(s.backend.status.state).toBe('running');
    ws0.close();
    ws2.close();
  });

  it('the byte limit is in bytes: 4 M characters of 2-byte UTF-8 are refused by name, not accepted', async () => {
    const ws = await connect();
    const content = mjcf('é', MAX_MJCF_BYTES / 2 + 1000); // under MAX_MJCF_BYTES characters, over it in bytes
    expect(content.length).toBeLessThan(MAX_MJCF_BYTES);
    expect(Buffer.byteLength(content)).toBeGreaterThan(MAX_MJCF_BYTES);
    const r = answer(ws, 5);
    ws.send(req(5, 'start', { ...goodStart, task: 'custom', custom: { name: 'm.xml', content, preset: 'forward' } }));
    expect(await r).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/start\.custom\.content: larger than 4194304 bytes as UTF-8/) } });
    ws.close();
  });

  it('an MJCF text that is 8.7 MB as UTF-8 is answered or closes the connection — never a dead server', async () => {
    const ws = await connect();
    const content = mjcf('€', 2_900_000); // 2.9 M characters, ~8.7 MB
    const crashes = await uncaughtDuring(async () => {
      const r = answer(ws, 6);
      ws.send(req(6, 'start', { ...goodStart, task: 'custom', custom: { name: 'm.xml', content, preset: 'forward' } }));
      const got = await r;
      if ('closed' in got) expect(got.closed).toBe(1009);
      else expect(got).toMatchObject({ ok: false, error: { code: 'invalid' } });
    });
    expect(crashes).toEqual([]);
    const ws2 = await connect();
    const cat = answer(ws2, 7);
    ws2.send(req(7, 'getCatalog', null));
    expect(await cat).toMatchObject({ ok: true });
    ws2.close();
  });

  it('the largest valid model fits the WebSocket limit (JSON at most doubles XML text)', () => {
    const worst = mjcf('"\n', (MAX_MJCF_BYTES - 100) / 2);
    expect(Buffer.byteLength(worst)).toBeLessThanOrEqual(MAX_MJCF_BYTES);
    const frame = encodeMessage({ t: 'req', id: 1, method: 'start', payload: { ...goodStart, task: 'custom', custom: { name: 'm.xml', content: worst, preset: 'forward' } } });
    expect(frame.length).toBeLessThan(MAX_WS_MESSAGE);
    // So does the largest zipped model folder the page sends itself.
    const zip = encodeMessage({ t: 'req', id: 1, method: 'start', payload: { ...goodStart, task: 'custom', custom: { name: 'm.zip', zip: new Uint8Array(MAX_PICKED_BYTES), preset: 'forward' } } });
    expect(zip.length).toBeLessThan(MAX_WS_MESSAGE);
  });

  it('control characters in an MJCF text are refused (XML has none; they would grow past the limit in JSON)', async () => {
    const ws = await connect();
    const r = answer(ws, 8);
    ws.send(req(8, 'start', { ...goodStart, task: 'custom', custom: { name: 'm.xml', content: '<mujoco>\u0001</mujoco>', preset: 'forward' } }));
    expect(await r).toMatchObject({ ok: false, error: { message: expect.stringMatching(/control character U\+0001/) } });
    ws.close();
  });
});

describe('serve --port', () => {
  it('99999 exits at once with a clear error (no hang)', async () => {
    const r = await cli('serve', '--port', '99999', '--runs', root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port: expected 0 … 65535/);
  }, 90_000);

  it('a port in use exits with a clear error, leaving no trainer behind (no hang)', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await cli('serve', '--port', String(port), '--runs', root);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  }, 90_000);

  it('startServe checks the port before it starts anything', async () => {
    await expect(startServe({ port: 70_000, runsRoot: root, rendererDir: root })).rejects.toThrow(/--port must be an integer from 0 to 65535/);
    await expect(startServe({ port: 1.5, runsRoot: root, rendererDir: root })).rejects.toThrow(/--port must be/);
  });
});

describe('serve builds the app on demand', () => {
  // A package tree: one source file, and a fake build that writes the page and the child entries.
  const tree = async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lab-pkg-'));
    await mkdir(path.join(root, 'src'), { recursive: true });
    await writeFile(path.join(root, 'src', 'a.ts'), 'export {};');
    utimesSync(path.join(root, 'src', 'a.ts'), 1000, 1000);
    return root;
  };
  const fakeBuild = (counter: { n: number }) => async (outDir: string) => {
    counter.n++;
    await mkdir(path.join(outDir, 'renderer'), { recursive: true });
    await mkdir(path.join(outDir, 'main'), { recursive: true });
    await writeFile(path.join(outDir, 'renderer', 'index.html'), 'x');
    for (const e of ['trainer.js', 'viewer.js', 'study-trial.js', 'a3c-worker.js']) await writeFile(path.join(outDir, 'main', e), '');
  };

  it('builds a missing app once, says so, leaves a current build alone and rebuilds a stale one', async () => {
    const root = await tree();
    const log: string[] = [];
    const builds = { n: 0 };
    await ensureAppBuilt((l) => log.push(l), root, fakeBuild(builds));
    expect(builds.n).toBe(1);
    expect(log[0]).toMatch(/not built yet .* building it now/);
    await ensureAppBuilt((l) => log.push(l), root, fakeBuild(builds));
    expect(builds.n).toBe(1);
    // An edit after the build: the next serve rebuilds.
    utimesSync(path.join(root, 'src', 'a.ts'), new Date(), new Date(Date.now() + 60_000));
    await ensureAppBuilt((l) => log.push(l), root, fakeBuild(builds));
    expect(builds.n).toBe(2);
    expect(log.at(-2)).toMatch(/out of date \(src[/\\]a\.ts is newer than the build/);
    // Built beside out/ and swapped in: nothing half-built or left over.
    expect(readdirSync(root).sort()).toEqual(['out', 'src']);
    await rm(root, { recursive: true, force: true });
  });

  it('when building a missing page fails, says exactly what to run; a failed rebuild serves the old page', async () => {
    const root = await tree();
    const fail = async () => { throw new Error('electron-vite is not installed'); };
    const err = await ensureAppBuilt(() => {}, root, fail).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RendererBuildError);
    expect((err as Error).message).toMatch(/electron-vite is not installed.*run `npm run build` in .* and start `policy-lab serve` again/);
    // A page from an earlier build and no child entries: the rebuild fails, serve goes on.
    await mkdir(path.join(root, 'out', 'renderer'), { recursive: true });
    await writeFile(path.join(root, 'out', 'renderer', 'index.html'), 'x');
    const log: string[] = [];
    await expect(ensureAppBuilt((l) => log.push(l), root, fail)).resolves.toBeUndefined();
    expect(log.at(-1)).toMatch(/Rebuilding failed \(electron-vite is not installed\); serving the page as last built/);
    await rm(root, { recursive: true, force: true });
  });
});
