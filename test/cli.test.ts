// The policy-lab command line, run as a user runs it (bin/policy-lab.mjs in a child process).
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageChildren } from '../src/backend/built-children.js';
import { cli, cliIn } from './cli-run.js';
import { descendants } from './proc-tree.js';

describe('policy-lab CLI', () => {
  it('lists tasks and algorithms', async () => {
    const t = await cli('tasks');
    expect(t.code).toBe(0);
    for (const name of ['InvertedPendulum', 'InvertedDoublePendulum', 'Reacher', 'Swimmer', 'HalfCheetah', 'Hopper', 'Walker2d', 'Ant']) expect(t.stdout).toContain(name);
    const a = await cli('algos');
    expect(a.code).toBe(0);
    for (const name of ['reinforce', 'qac', 'a2c', 'a3c', 'ppo']) expect(a.stdout).toMatch(new RegExp(`^${name}\\b`, 'm'));
    const p = await cli('algos', 'ppo');
    expect(p.stdout).toMatch(/--clip-coef <num>\s+surrogate clipping/);
  });

  it('shows each algorithm\'s hyperparameters with defaults in train --help', async () => {
    const h = await cli('train', '--algo', 'reinforce', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--phi <total-return\|reward-to-go\|baseline\|q\|td\|nstep\|gae>/);
    expect(h.stdout).toMatch(/\(default /);
    // One column for every doc: the fixed options, the robot flags, the run's and the algorithm's.
    // (a doc follows its flag after two or more spaces, or starts a line of its own)
    const docColumns = new Set(h.stdout.split('\n').map((l) => /^ {2}--.*?\S {2,}(?=\S)/.exec(l)?.[0].length ?? /^ {3,}(?=\S)/.exec(l)?.[0].length).filter((c) => c !== undefined));
    expect([...docColumns]).toEqual([44]);
  });

  it('trains from a working directory outside the install (the trainer finds its loader), its trainer from the app build when that is current', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pl-cwd-'));
    // Which trainer program the CLI forks: out/main/trainer.js when the package's build is current
    // (built-children.ts), else the source child through tsx. Another test may (re)build out/
    // meanwhile: the check is made only when the build's state is the same before and after.
    const builtBefore = packageChildren() !== null;
    const trainers = new Set<string>();
    const watch = setInterval(() => {
      for (const d of descendants()) if (/trainer\.js|trainer[/\\]child\.ts/.test(d.cmd)) trainers.add(d.cmd);
    }, 50);
    const r = await cliIn(cwd, 'train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--steps', '1024', '--out', 'runs');
    clearInterval(watch);
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND/);
    expect(r.code).toBe(0);
    expect(readdirSync(join(cwd, 'runs'))).toHaveLength(1);
    expect(trainers.size).toBe(1);
    if (builtBefore === (packageChildren() !== null)) {
      expect([...trainers][0]).toMatch(builtBefore ? /out[/\\]main[/\\]trainer\.js/ : /src[/\\]core[/\\]trainer[/\\]child\.ts/);
    }
  });

  it('refuses bad flags and values with a clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--task', 'InvertedPendulum', '--algo', 'nope'], /unknown algorithm "nope"/],
      [['train', '--task', 'Nope', '--algo', 'ppo'], /unknown task "Nope"/],
      [['train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--lr', '-1'], /--lr.*≥ 0/],
      [['train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--clip-coef', 'abc'], /expected a number/],
      [['train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--frobnicate', '1'], /unknown flag --frobnicate/],
      [['train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--seed', '1.5'], /--seed: expected an integer/],
      [['train', '--task', 'InvertedPendulum'], /--algo is required/],
      [['eval'], /exactly one RUN_DIR/],
      [['eval', '/nonexistent/run'], /not a run directory/],
      [['export', '/x', '--format', 'pdf', '--out', '/tmp/x'], /--format: expected onnx \| tfjs \| all/],
      [['wat'], /unknown command "wat"/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });

  it('trains, evaluates, exports and the re-imported bundle replays to the same return', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pl-cli-'));
    const t = await cli('train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--steps', '8192', '--seed', '3', '--out', out, '--backend', 'cpu', '--num-steps', '512', '--quiet');
    expect(t.stderr).not.toMatch(/error/);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/backend cpu/);
    expect(t.stdout).toMatch(/finished at step 8192/);
    const [runName] = readdirSync(out);
    const runDir = join(out, runName);
    const e = await cli('eval', runDir, '--episodes', '3', '--json');
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout) as { mean: number; returns: number[] };
    expect(ev.returns).toHaveLength(3);
    expect(ev.mean).toBeGreaterThan(0);
    const x = await cli('export', runDir, '--format', 'all', '--out', join(out, 'bundle'), '--episodes', '3');
    expect(x.code).toBe(0);
    for (const f of ['policy-card.json', 'model.onnx', 'tfjs/model.json', 'tfjs/weights.bin']) expect(existsSync(join(out, 'bundle', f)), f).toBe(true);
    const { evaluateBundle } = await import('../src/core/trainer/run-export.js');
    const { selectBackend } = await import('../src/core/rl/backend.js');
    await selectBackend('cpu');
    const re = await evaluateBundle(join(out, 'bundle'), 3, true);
    expect(Array.from(re.returns)).toEqual(ev.returns);
  });
});
