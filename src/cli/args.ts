// The command line on Node's util.parseArgs: --name value, --name=value, --flag; a flag given
// twice, a value missing or an unknown flag (checkKnown) are errors that name the flag. Which flags
// exist depends on the algorithm (its hyperparameters), so parsing is not strict about names:
// checkKnown decides once the command knows them. And the schema-generated help table.
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string>;
}

/** `booleans` are flags that take no value (`help` and `-h` always are). */
export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string> = new Set()): ParsedArgs {
  const isBoolean = (name: string) => name === 'help' || booleans.has(name);
  // util.parseArgs, not strict, reads an unknown `--name value` as a boolean plus a positional and
  // "-0.5" as short options: a value flag is joined with its value first (`--name=value`).
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && !a.includes('=') && !isBoolean(a.slice(2))) {
      const v = argv[i + 1];
      if (v === undefined || (v.startsWith('--') && v !== '--')) throw new UsageError(`${a} needs a value`);
      args.push(`${a}=${v}`);
      i++;
    } else args.push(a);
  }
  const options = Object.fromEntries([...booleans, 'help'].map((b) => [b, { type: 'boolean' as const }]));
  const { tokens } = nodeParseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const flags = new Map<string, string>();
  let lastShort = -1;
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    else if (t.kind === 'option' && t.rawName.startsWith('--')) {
      if (!t.name || args[t.index].startsWith('--=')) throw new UsageError(`bad flag "${args[t.index]}"`);
      if (flags.has(t.name)) throw new UsageError(`--${t.name} given twice`);
      flags.set(t.name, t.value ?? 'true');
    } else if (t.kind === 'option') {
      // Single-dash words: -h is help; anything else ("-3", "-x") stays a positional, as typed.
      if (t.rawName === '-h') flags.set('help', 'true');
      else if (t.index !== lastShort) positional.push(args[t.index]);
      lastShort = t.index;
    }
  }
  return { positional, flags };
}

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
export const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Throws for any flag not in `known`. */
export function checkKnown(flags: Map<string, string>, known: readonly string[], command: string): void {
  for (const f of flags.keys()) {
    if (!known.includes(f)) throw new UsageError(`policy-lab ${command}: unknown flag --${f} (see policy-lab ${command} --help)`);
  }
}

/**
 * A two-column help table: the flag (with its value form) and its doc. A flag too wide for the
 * first column (a long choice list) gets its doc on the next line, indented to the column, so the
 * two never run together.
 */
export function helpTable(rows: readonly (readonly [string, string])[], column = 44): string {
  return rows.map(([left, doc]) => (left.length <= column - 2 ? left.padEnd(column) + doc : `${left}\n${' '.repeat(column)}${doc}`)).join('\n');
}
