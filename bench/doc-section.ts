// A benchmark's section of docs/BENCHMARKS.md: the text between <!-- KEY:begin --> and
// <!-- KEY:end --> (markers included in `section`) is replaced, or the section is appended.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../src/core/runs/atomic.js';

export function writeDocSection(docPath: string, key: string, section: string): void {
  mkdirSync(path.dirname(docPath), { recursive: true });
  let text = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const open = `<!-- ${key}:begin -->`, close = `<!-- ${key}:end -->`;
  const begin = text.indexOf(open), end = text.indexOf(close);
  // One marker without the other (a hand edit lost one) would append a second section each run.
  if ((begin >= 0) !== (end >= 0) || end < begin) throw new Error(`${docPath}: the ${open} / ${close} markers are broken; mend them by hand`);
  if (begin >= 0) text = text.slice(0, begin) + section + text.slice(end + close.length);
  else text = text.replace(/\n*$/, '\n\n') + section + '\n';
  writeFileAtomic(docPath, text);
}
