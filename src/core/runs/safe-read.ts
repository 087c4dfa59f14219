// Reading files the lab did not necessarily write (run folders, bundles): only regular files,
// never through a symlink, never more than a size limit. Opening with O_NONBLOCK means a FIFO
// cannot block the open itself; fstat on the open descriptor then refuses it (and sockets and
// devices) before a single byte is read, so no reader ever waits on a special file.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

export class UnsafeFileError extends Error {
  constructor(readonly file: string, readonly reason: 'not-regular' | 'too-large' | 'symlink', message: string) {
    super(message);
    this.name = 'UnsafeFileError';
  }
}

const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function kindOf(s: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function openError(file: string, e: unknown): never {
  // O_NOFOLLOW on a symlink fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD).
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'EMLINK') throw new UnsafeFileError(file, 'symlink', `${file} is a symbolic link; only regular files are read`);
  throw e;
}

/** The whole of a regular file of at most maxBytes, synchronously (for small run files). */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, FLAGS);
  } catch (e) {
    openError(file, e);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new UnsafeFileError(file, 'not-regular', `${file} is ${kindOf(s)}; only regular files are read`);
    if (s.size > maxBytes) throw new UnsafeFileError(file, 'too-large', `${file} is ${s.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(s.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** As readRegularFileSync, without blocking the event loop. */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  let h;
  try {
    h = await open(file, FLAGS);
  } catch (e) {
    openError(file, e);
  }
  try {
    const s = await h.stat();
    if (!s.isFile()) throw new UnsafeFileError(file, 'not-regular', `${file} is ${kindOf(s)}; only regular files are read`);
    if (s.size > maxBytes) throw new UnsafeFileError(file, 'too-large', `${file} is ${s.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(s.size);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await h.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    await h.close();
  }
}
