// Which program a lab forks for its children (trainer, viewer, study trials) — serve mode, and
// the CLI's train and local study run: the app's build (out/main, what `npm run build` writes)
// when it is up to date, else the sources through tsx. A built child is plain JavaScript and
// loads in well under half the time: measured here, a trainer is ready 1.2 s after fork from
// out/main against 2.4 s through tsx on an idle machine, and 5–7 s through tsx while another run
// trains beside Chromium — the wait between pressing Train a second time and its first curve point. A build older than any source file is
// never used, so an edit always takes effect (the sources run through tsx until the next build).

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainerSpawnOptions } from '../core/trainer/host.js';

/** The entries a built child set needs (a3c-worker: A3C's workers, forked by a built trainer). */
const ENTRIES = ['trainer.js', 'viewer.js', 'study-trial.js', 'a3c-worker.js'] as const;

/** Besides src/, what changes the build: dependencies bundled into it and the build's own config. */
const BUILD_INPUTS = ['package-lock.json', 'package.json', 'electron.vite.config.ts'];

export interface ChildPrograms {
  readonly trainer: TrainerSpawnOptions;
  readonly viewer: TrainerSpawnOptions;
  readonly study: TrainerSpawnOptions;
}

export type BuiltChildren = { readonly ok: true; readonly children: ChildPrograms } | { readonly ok: false; readonly reason: string };

/** Newest modification time (ms) of any file under dir (0 when there is none). */
function newestUnder(dir: string): { mtime: number; file: string } {
  let best = { mtime: 0, file: '' };
  if (!existsSync(dir)) return best;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const f = path.join(e.parentPath, e.name);
    const m = statSync(f).mtimeMs;
    if (m > best.mtime) best = { mtime: m, file: f };
  }
  return best;
}

/**
 * The built child entries under outDir (default root/out) when all exist and none is older than
 * a source file (root/src, the lockfile, the build config); otherwise why not. outDir must lie
 * inside the package: the children import the engine packages the build leaves external
 * (mujoco-js, TF.js) from its node_modules.
 */
export function builtChildren(root: string, outDir = path.join(root, 'out')): BuiltChildren {
  const mainDir = path.join(outDir, 'main');
  const missing = ENTRIES.filter((e) => !existsSync(path.join(mainDir, e)));
  if (missing.length > 0) return { ok: false, reason: `${path.join(mainDir, missing[0])} is missing` };
  const built = Math.min(...ENTRIES.map((e) => statSync(path.join(mainDir, e)).mtimeMs));
  let newest = newestUnder(path.join(root, 'src'));
  for (const f of BUILD_INPUTS) {
    const p = path.join(root, f);
    if (existsSync(p) && statSync(p).mtimeMs > newest.mtime) newest = { mtime: statSync(p).mtimeMs, file: p };
  }
  if (newest.mtime > built) return { ok: false, reason: `${path.relative(root, newest.file)} is newer than the build in ${mainDir}` };
  // A built child reads the task models from the source tree (out/ does not copy them); said
  // explicitly so a build outside root/out finds them too (see src/main/built-child-setup.ts).
  const env = { ...process.env, POLICY_LAB_ASSETS: process.env.POLICY_LAB_ASSETS ?? path.join(root, 'src/core/envs/assets') };
  return { ok: true, children: childProgramsIn(mainDir, env) };
}

/**
 * The three child programs of a build folder (out/main), each run with env. The one place that
 * names the built entries: serve and the CLI (through builtChildren) and the desktop app's main
 * process (which runs them with Electron's binary as plain Node) all take them from here.
 */
export function childProgramsIn(mainDir: string, env: NodeJS.ProcessEnv, execArgv?: string[]): ChildPrograms {
  const entry = (name: (typeof ENTRIES)[number]): TrainerSpawnOptions => ({ entry: path.join(mainDir, name), env, ...(execArgv ? { execArgv } : {}) });
  return { trainer: entry('trainer.js'), viewer: entry('viewer.js'), study: entry('study-trial.js') };
}

/** This package's folder (two up from src/backend), where its out/ and node_modules live. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/**
 * The children of this package's own build (root/out) when it is current, else null: the
 * caller's defaults (the sources through tsx) apply. For the CLI, run from the package through
 * tsx; a function, not a constant, because this module is also bundled into Electron's main.
 */
export function packageChildren(): ChildPrograms | null {
  const built = builtChildren(packageRoot());
  return built.ok ? built.children : null;
}
