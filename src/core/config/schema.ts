// One typed object per algorithm, every field with a default and a one-line doc (CleanRL's Args
// dataclass idea). The CLI's --help, the UI's tooltips and validation all read these tables.

export interface NumberField {
  readonly kind: 'number';
  readonly default: number;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}
export interface BooleanField {
  readonly kind: 'boolean';
  readonly default: boolean;
  readonly doc: string;
}
export interface ChoiceField<T extends string = string> {
  readonly kind: 'choice';
  readonly default: T;
  readonly doc: string;
  readonly choices: readonly T[];
}
export interface ListField {
  readonly kind: 'list';
  readonly default: readonly number[];
  readonly doc: string;
}
export type Field = NumberField | BooleanField | ChoiceField | ListField;
export type Schema = Readonly<Record<string, Field>>;

/** The value type a schema describes. */
export type ConfigOf<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends NumberField
    ? number
    : S[K] extends BooleanField
      ? boolean
      : S[K] extends ChoiceField<infer T>
        ? T
        : S[K] extends ListField
          ? number[]
          : never;
};

export const num = (d: number, doc: string, o: Omit<NumberField, 'kind' | 'default' | 'doc'> = {}): NumberField => ({ kind: 'number', default: d, doc, ...o });
export const int = (d: number, doc: string, min = 0, max?: number): NumberField => ({ kind: 'number', default: d, doc, min, max, integer: true });
export const bool = (d: boolean, doc: string): BooleanField => ({ kind: 'boolean', default: d, doc });
export const choice = <T extends string>(d: T, choices: readonly T[], doc: string): ChoiceField<T> => ({ kind: 'choice', default: d, doc, choices });
export const list = (d: readonly number[], doc: string): ListField => ({ kind: 'list', default: d, doc });

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The defaults of a schema. */
export function defaults<S extends Schema>(schema: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(schema)) out[k] = Array.isArray(f.default) ? [...f.default] : f.default;
  return out as ConfigOf<S>;
}

/**
 * Defaults overlaid with `input`, every value checked. Unknown keys and bad values throw a
 * ConfigError naming the field, its expected form and what was given.
 */
export function resolveConfig<S extends Schema>(schema: S, input: Record<string, unknown> = {}, where = 'config'): ConfigOf<S> {
  const out = defaults(schema) as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    // Own keys only: `constructor`, `toString` or `__proto__` are not fields of any schema.
    const f = fieldOf(schema, k);
    if (!f) throw new ConfigError(`${where}: unknown field "${k.length > 40 ? k.slice(0, 40) + '…' : k}" (known: ${Object.keys(schema).join(', ')})`);
    out[k] = checkValue(f, v, `${where}.${k}`);
  }
  return out as ConfigOf<S>;
}

/** The schema's field called `name`, or undefined: never a property inherited from Object.prototype. */
export function fieldOf(schema: Schema, name: string): Field | undefined {
  return Object.hasOwn(schema, name) ? schema[name] : undefined;
}

/** Parses a command-line string into the field's type, then checks it. */
export function parseFieldValue(f: Field, raw: string, name: string): unknown {
  switch (f.kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${name}: expected a number, got "${raw}"`);
      return checkValue(f, n, name);
    }
    case 'boolean':
      if (raw === 'true' || raw === '1' || raw === '') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    case 'choice':
      return checkValue(f, raw, name);
    case 'list':
      return checkValue(f, raw.split(',').filter((s) => s !== '').map(Number), name);
  }
}

function checkValue(f: Field, v: unknown, name: string): unknown {
  switch (f.kind) {
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${name}: expected a finite number, got ${JSON.stringify(v)}`);
      if (f.integer && !Number.isInteger(v)) throw new ConfigError(`${name}: expected an integer, got ${v}`);
      if (f.min !== undefined && v < f.min) throw new ConfigError(`${name}: must be ≥ ${f.min}, got ${v}`);
      if (f.max !== undefined && v > f.max) throw new ConfigError(`${name}: must be ≤ ${f.max}, got ${v}`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'choice':
      if (typeof v !== 'string' || !f.choices.includes(v)) throw new ConfigError(`${name}: expected one of ${f.choices.join(' | ')}, got ${JSON.stringify(v)}`);
      return v;
    case 'list':
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0))
        throw new ConfigError(`${name}: expected a non-empty list of positive integers, got ${JSON.stringify(v)}`);
      return [...v];
  }
}
