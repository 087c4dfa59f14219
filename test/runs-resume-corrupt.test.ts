// End to end through the trainer's session: a run whose metrics.jsonl got a corrupt line in the
// middle resumes with every valid row up to its checkpoint kept, and the bad line is named.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainerToHost } from '../src/core/protocol.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { newRunDir, readMetrics, runFiles } from '../src/core/runs/store.js';
import { TrainingSession } from '../src/core/trainer/session.js';

describe('resume after a corrupt metrics line', () => {
  it('keeps every valid row up to the checkpoint and names the bad line', async () => {
    const config = resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', seed: 5, totalSteps: 1024, backend: 'cpu', checkpointEvery: 1,
      algoConfig: { numSteps: 128, numEnvs: 1, numMinibatches: 2, updateEpochs: 1 } });
    const dir = await newRunDir(mkdtempSync(join(tmpdir(), 'pl-resume-bad-')), config);
    expect(await new TrainingSession(() => {}).run(config, dir, false)).toBe('finished');
    const rows = readMetrics(dir);
    expect(rows).toHaveLength(8);
    // A corrupt line after the third row (a disk error, an editor, a bad copy).
    const lines = readFileSync(runFiles.metrics(dir), 'utf8').split('\n');
    lines.splice(3, 0, '{"update": 4, "steps": oops');
    writeFileSync(runFiles.metrics(dir), lines.join('\n'));
    const sent: TrainerToHost[] = [];
    expect(await new TrainingSession((m) => { sent.push(m); }).run({ ...config, totalSteps: 1536 }, dir, true)).toBe('finished');
    const after = readMetrics(dir);
    // Rows 1–8 (all up to the checkpoint at update 8) survive, byte-equal in content; then 9–12.
    expect(after.map((r) => r.update)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(after.slice(0, 8)).toEqual(rows);
    const warning = sent.find((m) => m.type === 'error');
    expect(warning).toMatchObject({ fatal: false, message: expect.stringMatching(/metrics\.jsonl: line 4 was not a metrics row/) });
    expect(readFileSync(runFiles.metrics(dir) + '.bad', 'utf8')).toBe('4\t{"update": 4, "steps": oops\n');
  }, 120_000);
});
