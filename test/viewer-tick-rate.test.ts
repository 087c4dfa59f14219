// The viewer process's tick rate: 60 states/s unless POLICY_LAB_VIEWER_HZ (bench:app --states-20,
// a diagnosis) says otherwise; a value outside 10–120 or not an integer stops the process at
// start with a message naming the variable, instead of ticking at a rate nobody chose.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { execArgvFor } from '../src/core/child-exec.js';

const CHILD = fileURLToPath(new URL('../src/core/viewer/child.ts', import.meta.url));

/** Starts the viewer child with POLICY_LAB_VIEWER_HZ=hz; resolves with its exit code and stderr, or 'alive' after 4 s. */
function start(hz: string): Promise<{ code: number | null | 'alive'; stderr: string }> {
  const p = fork(CHILD, [], { execArgv: execArgvFor(CHILD), env: { ...process.env, POLICY_LAB_VIEWER_HZ: hz }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  p.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); resolve({ code: 'alive', stderr }); }, 4000);
    p.on('exit', (code) => { clearTimeout(t); resolve({ code, stderr }); });
  });
}

describe('viewer tick rate (POLICY_LAB_VIEWER_HZ)', () => {
  it.each(['5', '121', '20.5', 'fast'])('refuses %s at start, naming the variable', async (hz) => {
    const r = await start(hz);
    expect(r.code).not.toBe('alive');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/POLICY_LAB_VIEWER_HZ must be an integer from 10 to 120/);
  }, 30_000);

  it('takes 20 and runs', async () => {
    const r = await start('20');
    expect(r.code).toBe('alive');
    expect(r.stderr).toBe('');
  }, 30_000);
});
