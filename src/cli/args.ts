// A small, strict command-line parser: --name value, --name=value, --flag; unknown flags are
// errors that name the flag and list the known ones.

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

/** `booleans` are flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string> = new Set()): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (!name) throw new UsageError(`bad flag "${a}"`);
      if (flags.has(name)) throw new UsageError(`--${name} given twice`);
      if (eq >= 0) flags.set(name, a.slice(eq + 1));
      else if (booleans.has(name) || name === 'help') flags.set(name, 'true');
      else {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith('--') && v !== '--')) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
        i++;
      }
    } else if (a === '-h') flags.set('help', 'true');
    else positional.push(a);
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
