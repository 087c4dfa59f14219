// Runs the policy-lab binary in a child process: exit code and output (tests of CLI flows).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLI_BIN = resolve('bin/policy-lab.mjs');

export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliIn(process.cwd(), ...args);
}

/** The CLI run from another working directory (a user's own folder, not the install's). */
export async function cliIn(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BIN, ...args], { timeout: 300_000, cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
