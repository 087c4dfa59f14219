// A form generated from a config schema: one input per field, the field's doc as tooltip,
// ranges checked as you type. Values start at the schema default, overlaid with a preset.
import type { Field, Schema } from '../../core/config/schema.js';

export interface SchemaForm {
  readonly element: HTMLElement;
  /** Values that differ from nothing: every field, parsed. Null if any field is invalid. */
  values(): Record<string, unknown> | null;
  /** First problem in words, or null. */
  problem(): string | null;
}

export function buildSchemaForm(schema: Schema, preset: Readonly<Record<string, unknown>>, onChange: () => void, skip: readonly string[] = []): SchemaForm {
  const el = document.createElement('div');
  el.className = 'schema-form';
  const readers: { name: string; read: () => { value?: unknown; error?: string } }[] = [];
  for (const [name, f] of Object.entries(schema)) {
    if (skip.includes(name)) continue;
    const row = document.createElement('label');
    row.className = 'field';
    row.title = f.doc;
    const lab = document.createElement('span');
    lab.className = 'field-name';
    lab.textContent = name;
    row.appendChild(lab);
    const initial = name in preset ? preset[name] : f.default;
    const { input, read } = inputFor(f, initial, name);
    input.addEventListener('input', () => {
      const r = read();
      row.classList.toggle('invalid', r.error !== undefined);
      input.title = r.error ?? f.doc;
      onChange();
    });
    input.dataset.field = name;
    input.title = f.doc;
    row.appendChild(input);
    el.appendChild(row);
    readers.push({ name, read });
  }
  return {
    element: el,
    values: () => {
      const out: Record<string, unknown> = {};
      for (const r of readers) {
        const v = r.read();
        if (v.error !== undefined) return null;
        out[r.name] = v.value;
      }
      return out;
    },
    problem: () => {
      for (const r of readers) {
        const v = r.read();
        if (v.error !== undefined) return v.error;
      }
      return null;
    },
  };
}

function inputFor(f: Field, initial: unknown, name: string): { input: HTMLInputElement | HTMLSelectElement; read: () => { value?: unknown; error?: string } } {
  switch (f.kind) {
    case 'number': {
      const i = document.createElement('input');
      i.type = 'number';
      i.value = String(initial);
      if (f.min !== undefined) i.min = String(f.min);
      if (f.max !== undefined) i.max = String(f.max);
      i.step = f.integer ? '1' : 'any';
      return {
        input: i,
        read: () => {
          const v = Number(i.value);
          if (i.value.trim() === '' || !Number.isFinite(v)) return { error: `${name}: enter a number` };
          if (f.integer && !Number.isInteger(v)) return { error: `${name}: must be a whole number` };
          if (f.min !== undefined && v < f.min) return { error: `${name}: must be ≥ ${f.min}` };
          if (f.max !== undefined && v > f.max) return { error: `${name}: must be ≤ ${f.max}` };
          return { value: v };
        },
      };
    }
    case 'boolean': {
      const i = document.createElement('input');
      i.type = 'checkbox';
      i.checked = initial === true;
      return { input: i, read: () => ({ value: i.checked }) };
    }
    case 'choice': {
      const s = document.createElement('select');
      for (const c of f.choices) s.add(new Option(c, c, false, c === initial));
      return { input: s, read: () => ({ value: s.value }) };
    }
    case 'list': {
      const i = document.createElement('input');
      i.type = 'text';
      i.value = Array.isArray(initial) ? initial.join(',') : String(initial);
      return {
        input: i,
        read: () => {
          const parts = i.value.split(',').map((x) => x.trim()).filter((x) => x !== '');
          const nums = parts.map(Number);
          if (nums.length === 0 || !nums.every((n) => Number.isInteger(n) && n > 0)) return { error: `${name}: comma-separated positive integers, e.g. 64,64` };
          return { value: nums };
        },
      };
    }
  }
}
