// How a Node child runs one of the lab's entry files: built .js entries run as they are, .ts
// entries (development, the CLI through tsx) need tsx's loader. The loader is resolved from this
// file, not from the working directory: `--import tsx` alone makes Node look for tsx under the
// cwd, so `policy-lab train` run from a user's own folder could not start its trainer.
export function execArgvFor(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}
