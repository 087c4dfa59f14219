// A robot as robots really come: a folder with a scene XML that <include>s the robot, meshes
// (STL, OBJ, MSH), textures and skyboxes (PNG) and height fields. This module reads the XML and
// exactly the files it references into memory (a ModelFolder), so MuJoCo can compile it from its
// in-memory file system (mujoco.ts) and a bundle can carry it (export/model-files.ts).
//
// Path rules, as MuJoCo 3.3 resolves them (checked against the WASM build, see test/robots-*.ts):
//   - <include file> and <model file>: relative to the main XML's folder, else to the including file's folder;
//   - <mesh file>, <hfield file>, <skin file>, <flexcomp file>: main folder + compiler meshdir (else assetdir), else the
//     declaring file's folder; <texture file / fileright …>: the same with texturedir;
//   - compiler attributes apply to the whole model, the last one in document order wins;
//     strippath="true" drops the directories of every asset file name.
// What we refuse (MuJoCo would follow them): absolute paths, '..' that leaves the model's folder,
// symlinks that point outside it, non-regular files, and files or totals over the size limits.

import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { EnvError } from './types.js';

export interface ModelFolderLimits {
  /** Largest single file (bytes). */
  readonly maxFileBytes: number;
  /** Largest sum over the XML and every referenced file (bytes). */
  readonly maxTotalBytes: number;
  /** Most files (XML + assets). */
  readonly maxFiles: number;
  /** Deepest <include> nesting. */
  readonly maxIncludeDepth: number;
}

export const DEFAULT_MODEL_LIMITS: ModelFolderLimits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxFiles: 4096,
  maxIncludeDepth: 16,
};

/** A model's files in memory: '/'-separated paths relative to the main XML's folder. */
export interface ModelFolder {
  /** Path of the main XML (relative, '/'-separated; usually just its file name). */
  readonly main: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly totalBytes: number;
  /** Where it came from, for messages (a folder, a zip file, or 'MJCF text'). */
  readonly origin: string;
}

/** One file reference found in the XML, with where it was written (for error messages). */
export interface ModelReference {
  readonly element: string;
  readonly attribute: string;
  readonly value: string;
  /** The XML file (relative) that holds the element, and the line in it. */
  readonly inFile: string;
  readonly line: number;
}

/** Reads a file of the model by its relative path; throws ModelReadError for what is wrong. */
export type ModelReader = (rel: string) => Uint8Array;

export class ModelReadError extends Error {
  constructor(readonly reason: 'missing' | 'unreadable' | 'not-a-file' | 'too-large' | 'outside', message: string) {
    super(message);
    this.name = 'ModelReadError';
  }
}

const ASSET_ATTRS: Readonly<Record<string, { attrs: readonly string[]; dir: 'mesh' | 'texture' }>> = {
  mesh: { attrs: ['file'], dir: 'mesh' },
  hfield: { attrs: ['file'], dir: 'mesh' },
  skin: { attrs: ['file'], dir: 'mesh' },
  // <flexcomp type="mesh|gmsh" file="…"> reads a mesh file too (found through meshdir).
  flexcomp: { attrs: ['file'], dir: 'mesh' },
  texture: { attrs: ['file', 'fileright', 'fileleft', 'fileup', 'filedown', 'filefront', 'fileback'], dir: 'texture' },
};
const XML_REFS = new Set(['include', 'model']);

// One token of XML: a comment, CDATA, a processing instruction or doctype, or a tag with attributes.
const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<![^>]*>|<([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g;
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

interface Tag {
  name: string;
  attrs: Map<string, string>;
  line: number;
}

/** The start tags of an XML text in document order (comments and CDATA skipped). */
export function scanTags(xml: string): Tag[] {
  const tags: Tag[] = [];
  let line = 1;
  let last = 0;
  for (const m of xml.matchAll(TOKEN)) {
    if (!m[1]) continue;
    const at = m.index ?? 0;
    for (let i = last; i < at; i++) if (xml.charCodeAt(i) === 10) line++;
    last = at;
    const attrs = new Map<string, string>();
    for (const a of (m[2] ?? '').matchAll(ATTR)) attrs.set(a[1], unescapeXml(a[2] ?? a[3] ?? ''));
    tags.push({ name: m[1], attrs, line });
  }
  return tags;
}

function describeRef(r: ModelReference): string {
  return `<${r.element} ${r.attribute}="${r.value}"> in ${r.inFile} line ${r.line}`;
}

function fail(origin: string, message: string): never {
  throw new EnvError('bad-mjcf', `model ${origin}: ${message}`);
}

/**
 * The '/'-separated relative path a reference resolves to under `base` (a relative folder), or
 * an error naming the reference when it is absolute or leaves the model folder.
 */
export function confineRef(base: string, value: string, origin: string, ref: ModelReference): string {
  if (value === '') fail(origin, `${describeRef(ref)}: the file name is empty`);
  if (value.includes('\0')) fail(origin, `${describeRef(ref)}: the file name contains a NUL character`);
  if (value.startsWith('/') || value.startsWith('\\') || /^[A-Za-z]:/.test(value) || value.startsWith('~')) {
    fail(origin, `${describeRef(ref)}: absolute paths are refused; give the file relative to the model's folder`);
  }
  const joined = path.posix.normalize(path.posix.join(base === '' ? '.' : base, value.replace(/\\/g, '/')));
  if (joined === '..' || joined.startsWith('../') || path.posix.isAbsolute(joined) || /^[A-Za-z]:/.test(joined)) {
    fail(origin, `${describeRef(ref)}: "${value}" leads outside the model's folder; only files inside it are read`);
  }
  if (joined === '.' || joined.endsWith('/')) fail(origin, `${describeRef(ref)}: "${value}" names a folder, not a file`);
  return joined;
}

function dirOf(rel: string): string {
  const d = path.posix.dirname(rel);
  return d === '.' ? '' : d;
}

/**
 * Reads the main XML and every file it references through `read`, enforcing the limits.
 * Every failure is EnvError('bad-mjcf') naming the file and the element that references it.
 */
export function collectModel(main: string, read: ModelReader, origin: string, limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelFolder {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const take = (rel: string, ref: ModelReference | null): Uint8Array => {
    const have = files.get(rel);
    if (have) return have;
    let bytes: Uint8Array;
    try {
      bytes = read(rel);
    } catch (e) {
      const what = ref ? `${describeRef(ref)}: ` : '';
      if (e instanceof ModelReadError) fail(origin, `${what}${e.message}`);
      fail(origin, `${what}cannot read ${rel}: ${(e as Error).message}`);
    }
    if (bytes.length > limits.maxFileBytes) fail(origin, `${ref ? describeRef(ref) + ': ' : ''}${rel} is ${bytes.length} bytes, over the ${limits.maxFileBytes}-byte limit per file`);
    total += bytes.length;
    if (total > limits.maxTotalBytes) fail(origin, `${ref ? describeRef(ref) + ': ' : ''}the model's files exceed the ${limits.maxTotalBytes}-byte total limit (at ${rel})`);
    if (files.size + 1 > limits.maxFiles) fail(origin, `the model references more than ${limits.maxFiles} files`);
    files.set(rel, bytes);
    return bytes;
  };
  const exists = (rel: string): boolean => {
    if (files.has(rel)) return true;
    try {
      take(rel, null);
      return true;
    } catch {
      return false;
    }
  };

  const mainDir = dirOf(main);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  // Not an MJCF model at all (any file can be picked): refuse before reading anything else.
  const head = decoder.decode(take(main, null).subarray(0, 64 * 1024));
  if (!/<mujoco[\s>/]/.test(head)) fail(origin, `${main} is not an MJCF model (no <mujoco> element at its start)`);
  const compiler: { meshdir?: string; texturedir?: string; assetdir?: string; strippath?: boolean } = {};
  const assets: Array<{ ref: ModelReference; dir: 'mesh' | 'texture'; declaredIn: string }> = [];

  // Document order with includes expanded, as MuJoCo splices them in before parsing.
  const visit = (rel: string, ref: ModelReference | null, chain: readonly string[]): void => {
    if (chain.includes(rel)) fail(origin, `${ref ? describeRef(ref) + ': ' : ''}${rel} includes itself (${[...chain, rel].join(' → ')})`);
    if (chain.length > limits.maxIncludeDepth) fail(origin, `${ref ? describeRef(ref) + ': ' : ''}includes nested deeper than ${limits.maxIncludeDepth} levels`);
    const text = decoder.decode(take(rel, ref));
    for (const tag of scanTags(text)) {
      if (tag.name === 'compiler') {
        for (const k of ['meshdir', 'texturedir', 'assetdir'] as const) {
          const v = tag.attrs.get(k);
          if (v !== undefined) compiler[k] = v;
        }
        const sp = tag.attrs.get('strippath');
        if (sp !== undefined) compiler.strippath = sp === 'true';
      } else if (XML_REFS.has(tag.name)) {
        const value = tag.attrs.get('file');
        if (value === undefined) continue;
        const r: ModelReference = { element: tag.name, attribute: 'file', value, inFile: rel, line: tag.line };
        const primary = confineRef(mainDir, value, origin, r);
        const alt = confineRef(dirOf(rel), value, origin, r);
        const target = exists(primary) ? primary : exists(alt) ? alt : primary;
        if (!files.has(target)) take(target, r);
        visit(target, r, [...chain, rel]);
      } else {
        const spec = ASSET_ATTRS[tag.name];
        if (!spec) continue;
        for (const attribute of spec.attrs) {
          const value = tag.attrs.get(attribute);
          if (value === undefined || value === '') continue;
          assets.push({ ref: { element: tag.name, attribute, value, inFile: rel, line: tag.line }, dir: spec.dir, declaredIn: rel });
        }
      }
    }
  };
  visit(main, null, []);

  for (const dir of [compiler.meshdir, compiler.texturedir, compiler.assetdir]) {
    if (dir !== undefined && (dir.startsWith('/') || dir.startsWith('\\') || /^[A-Za-z]:/.test(dir))) {
      fail(origin, `<compiler> sets an absolute asset folder "${dir}"; asset folders must be relative to the model's folder`);
    }
  }
  for (const { ref, dir, declaredIn } of assets) {
    const sub = (dir === 'mesh' ? compiler.meshdir : compiler.texturedir) ?? compiler.assetdir ?? '';
    const name = compiler.strippath ? ref.value.replace(/^.*[/\\]/, '') : ref.value;
    const primary = confineRef(mainDir, path.posix.join(sub.replace(/\\/g, '/') || '.', name.replace(/\\/g, '/')), origin, { ...ref, value: name });
    if (sub !== '' && !confineOk(mainDir, sub)) {
      fail(origin, `${describeRef(ref)}: the compiler's ${dir === 'mesh' ? 'meshdir' : 'texturedir'}/assetdir "${sub}" leads outside the model's folder`);
    }
    if (exists(primary)) continue;
    const alt = confineRef(dirOf(declaredIn), name, origin, ref);
    if (alt !== primary && exists(alt)) continue;
    take(primary, ref); // throws, naming the reference and the reason
  }
  return { main, files, totalBytes: total, origin };
}

function confineOk(base: string, sub: string): boolean {
  const j = path.posix.normalize(path.posix.join(base || '.', sub.replace(/\\/g, '/')));
  return !(j === '..' || j.startsWith('../') || path.posix.isAbsolute(j));
}

/** A reader over a folder on disk: regular files inside `root` only (symlinks may not leave it). */
export function diskReader(root: string, limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelReader {
  const realRoot = realpathSync(root);
  return (rel) => {
    const full = path.join(realRoot, ...rel.split('/'));
    let st;
    try {
      st = lstatSync(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ModelReadError('missing', `${rel} not found in ${realRoot}`);
      throw new ModelReadError('unreadable', `cannot read ${rel}: ${(e as Error).message}`);
    }
    let real = full;
    if (st.isSymbolicLink()) {
      try {
        real = realpathSync(full);
      } catch {
        throw new ModelReadError('missing', `${rel} is a broken symbolic link`);
      }
      const r = path.relative(realRoot, real);
      if (r.startsWith('..') || path.isAbsolute(r)) throw new ModelReadError('outside', `${rel} is a symbolic link to ${real}, outside the model's folder`);
      st = statSync(real);
    }
    if (!st.isFile()) throw new ModelReadError('not-a-file', `${rel} is not a regular file`);
    if (st.size > limits.maxFileBytes) throw new ModelReadError('too-large', `${rel} is ${st.size} bytes, over the ${limits.maxFileBytes}-byte limit per file`);
    try {
      return readFileSync(real);
    } catch (e) {
      throw new ModelReadError('unreadable', `cannot read ${rel}: ${(e as Error).message}`);
    }
  };
}

/** A reader over files already in memory (zip entries, an imported bundle, tests). */
export function memoryReader(files: ReadonlyMap<string, Uint8Array>): ModelReader {
  return (rel) => {
    const b = files.get(rel);
    if (!b) throw new ModelReadError('missing', `${rel} not found`);
    return b;
  };
}

/** Loads the MJCF file at `xmlPath` with every file it references, from its folder. */
export function loadModelFolder(xmlPath: string, limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelFolder {
  if (typeof xmlPath !== 'string' || xmlPath.trim() === '') throw new EnvError('bad-mjcf', 'model: expected the path of an MJCF file, got an empty value');
  if (xmlPath.includes('\0')) throw new EnvError('bad-mjcf', 'model: the path contains a NUL character');
  // Text is never taken for a path (nor echoed back as a missing file): MJCF text goes in as { xml }.
  if (/[<\n\r]/.test(xmlPath)) throw new EnvError('bad-mjcf', 'model: expected the path of an MJCF file, got text (with "<" or a line break); MJCF text is a separate input');
  const abs = path.resolve(xmlPath);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new EnvError('bad-mjcf', `model: file not found: ${abs}`);
  }
  if (st.isDirectory()) {
    throw new EnvError('bad-mjcf', `model: ${abs} is a folder; give its main XML file (e.g. ${path.join(abs, 'scene.xml')})`);
  }
  if (/\.zip$/i.test(abs)) return loadModelZip(readFileSync(abs), undefined, abs, limits);
  const root = path.dirname(abs);
  return collectModel(path.basename(abs), diskReader(root, limits), root, limits);
}

/**
 * A zip of a model folder. The main XML is `main` if given, else `scene.xml` at the shallowest
 * level, else the only XML file at the shallowest level; references resolve inside its folder.
 */
export function loadModelZip(zip: Uint8Array, main?: string, origin = 'zip', limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelFolder {
  let claimed = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (f) => {
        if (f.name.endsWith('/')) return false;
        if (f.originalSize > limits.maxFileBytes) throw new Error(`${f.name} is ${f.originalSize} bytes, over the ${limits.maxFileBytes}-byte limit per file`);
        claimed += f.originalSize;
        if (claimed > limits.maxTotalBytes) throw new Error(`the archive holds more than ${limits.maxTotalBytes} bytes`);
        return true;
      },
    });
  } catch (e) {
    throw new EnvError('bad-mjcf', `model ${origin}: not a readable zip archive: ${(e as Error).message}`);
  }
  const all = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(entries)) {
    const norm = path.posix.normalize(name.replace(/\\/g, '/'));
    // Entries that would land outside the archive's root are never used.
    if (norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm) || /^[A-Za-z]:/.test(norm)) continue;
    if (bytes.length > limits.maxFileBytes) throw new EnvError('bad-mjcf', `model ${origin}: ${norm} is larger than the ${limits.maxFileBytes}-byte limit per file`);
    all.set(norm, bytes);
  }
  let mainPath = main;
  if (mainPath === undefined) {
    const xmls = [...all.keys()].filter((k) => /\.xml$/i.test(k) && !k.startsWith('__MACOSX/'));
    if (xmls.length === 0) throw new EnvError('bad-mjcf', `model ${origin}: the archive holds no .xml file`);
    const depth = (k: string): number => k.split('/').length;
    const min = Math.min(...xmls.map(depth));
    const top = xmls.filter((k) => depth(k) === min);
    mainPath = top.find((k) => path.posix.basename(k).toLowerCase() === 'scene.xml') ?? (top.length === 1 ? top[0] : undefined);
    if (!mainPath) throw new EnvError('bad-mjcf', `model ${origin}: cannot tell the main XML (candidates: ${top.join(', ')}); name it scene.xml`);
  }
  const base = dirOf(mainPath);
  const under = new Map<string, Uint8Array>();
  for (const [k, v] of all) if (base === '' || k.startsWith(base + '/')) under.set(base === '' ? k : k.slice(base.length + 1), v);
  return collectModel(path.posix.basename(mainPath), memoryReader(under), origin, limits);
}

/** Self-contained MJCF text: it may not reference files (there is no folder to read them from). */
export function modelFromXml(xml: string, limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelFolder {
  if (typeof xml !== 'string' || xml.trim() === '') throw new EnvError('bad-mjcf', 'model: the MJCF text is empty');
  const bytes = new TextEncoder().encode(xml);
  const only = new Map([['model.xml', bytes]]);
  return collectModel('model.xml', (rel) => {
    const b = only.get(rel);
    if (!b) throw new ModelReadError('missing', `${rel} cannot be read: MJCF given as text has no folder; open the XML file itself (or a zip of its folder) instead`);
    return b;
  }, 'MJCF text', limits);
}

/** Where a custom model comes from: exactly one of a file path, MJCF text, or files in memory. */
export type ModelSource = { readonly path: string } | { readonly xml: string } | { readonly folder: ModelFolder };

export function resolveModelSource(src: ModelSource, limits: ModelFolderLimits = DEFAULT_MODEL_LIMITS): ModelFolder {
  if (src && typeof src === 'object') {
    if ('folder' in src && src.folder) return src.folder;
    if ('path' in src && typeof src.path === 'string') return loadModelFolder(src.path, limits);
    if ('xml' in src && typeof src.xml === 'string') return modelFromXml(src.xml, limits);
  }
  throw new EnvError('bad-mjcf', 'model: expected { path } (an MJCF file), { xml } (MJCF text) or { folder }');
}
