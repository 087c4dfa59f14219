// The command-line parser (src/cli/args.ts, on Node's util.parseArgs) and the help table.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkKnown, helpTable, parseArgs, UsageError } from '../src/cli/args.js';
import { ALGOS } from '../src/core/algos/index.js';

const parse = (a: string[], b: string[] = []) => {
  const r = parseArgs(a, new Set(b));
  return { pos: r.positional, flags: Object.fromEntries(r.flags) };
};

describe('parseArgs', () => {
  it('reads --name value, --name=value, booleans, -h, and negative numbers as values', () => {
    expect(parse(['train', '--task', 'HalfCheetah', '--lr=3e-4', '--log-std-init', '-0.5', '--quiet', 'extra', '-h'], ['quiet'])).toEqual({
      pos: ['train', 'extra'], flags: { task: 'HalfCheetah', lr: '3e-4', 'log-std-init': '-0.5', quiet: 'true', help: 'true' },
    });
    expect(parse(['--quiet=false'], ['quiet']).flags).toEqual({ quiet: 'false' });
    expect(parse(['--hidden', '64,64', '-3', '-abc']).pos).toEqual(['-3', '-abc']);
    expect(parse(['a', '--', '--b', 'c'])).toEqual({ pos: ['a', '--b', 'c'], flags: {} });
  });
  it('names the flag that is missing its value, given twice or malformed', () => {
    expect(() => parse(['--lr'])).toThrow(/--lr needs a value/);
    expect(() => parse(['--lr', '--seed', '1'])).toThrow(/--lr needs a value/);
    expect(() => parse(['--seed', '1', '--seed=2'])).toThrow(/--seed given twice/);
    expect(() => parse(['--=x'])).toThrow(/bad flag "--=x"/);
    expect(() => checkKnown(new Map([['lr', '1']]), ['seed'], 'train')).toThrow(/unknown flag --lr/);
  });
  it('never fails with anything but a UsageError, and keeps every word (seeded fuzz)', () => {
    const word = fc.oneof(fc.constantFrom('--lr', '--quiet', '-h', '--', '-1', '--a=b', '--=', 'x', '--seed'), fc.string({ maxLength: 6 }));
    fc.assert(fc.property(fc.array(word, { maxLength: 10 }), (argv) => {
      try {
        const r = parseArgs(argv, new Set(['quiet']));
        for (const p of r.positional) expect(argv).toContain(p);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
      }
    }), { seed: 15, numRuns: 500 });
  });
});

describe('helpTable', () => {
  it('never runs a long choice list into its doc (REINFORCE --phi)', () => {
    const schema = ALGOS.reinforce.schema;
    const rows = Object.entries(schema).map(([k, f]) => [`  --${k} <${f.kind === 'choice' ? f.choices.join('|') : 'x'}>`, f.doc] as const);
    const text = helpTable(rows);
    const lines = text.split('\n');
    const phi = lines.findIndex((l) => l.includes('--phi <total-return|'));
    expect(lines[phi].trimEnd().endsWith('gae>')).toBe(true);
    expect(lines[phi + 1]).toBe(' '.repeat(44) + schema.phi.doc);
    // Short rows keep one line, the doc at column 44.
    const gamma = lines.find((l) => l.startsWith('  --gamma'))!;
    expect(gamma.indexOf(schema.gamma.doc)).toBe(44);
  });
});
