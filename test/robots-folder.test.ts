// Model folders (issue 14): a robot as it really comes — scene.xml including the robot, meshdir,
// OBJ/STL meshes, a PNG texture — loads into MuJoCo's in-memory file system; every bad reference
// fails naming its file; paths that leave the folder are refused (fuzzed, seeded).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCustomEnv } from '../src/core/envs/custom.js';
import {
  collectModel, confineRef, loadModelFolder, loadModelZip, memoryReader, modelFromXml, type ModelReference,
} from '../src/core/envs/model-folder.js';
import type { MujocoEnv } from '../src/core/envs/mujoco-env.js';
import { EnvError } from '../src/core/envs/types.js';

const QUAD = new URL('./fixtures/robots/quadruped/', import.meta.url).pathname;
const ARM = new URL('./fixtures/robots/arm/arm.xml', import.meta.url).pathname;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'robots-folder-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh copy of the quadruped folder to break. */
function copy(name: string): string {
  const d = join(tmp, name);
  cpSync(QUAD, d, { recursive: true });
  return d;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const s = readFileSync(file, 'utf8');
  const t = s.replace(from, to);
  expect(t).not.toBe(s);
  writeFileSync(file, t);
}

function errorOf(f: () => unknown): EnvError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvError);
    return e as EnvError;
  }
  throw new Error('expected an EnvError');
}
async function asyncErrorOf(p: Promise<unknown>): Promise<EnvError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EnvError);
    return e as EnvError;
  }
  throw new Error('expected an EnvError');
}

describe('loading a model folder', () => {
  it('reads scene.xml, the included robot, its meshes and texture — and nothing else', () => {
    writeFileSync(join(copy('extra'), 'assets', 'unused.stl'), 'not referenced');
    const f = loadModelFolder(join(tmp, 'extra', 'scene.xml'));
    expect(f.main).toBe('scene.xml');
    expect([...f.files.keys()].sort()).toEqual(['assets/leg.stl', 'assets/skin.png', 'assets/torso.obj', 'quadruped.xml', 'scene.xml']);
    expect(f.totalBytes).toBe([...f.files.values()].reduce((a, b) => a + b.length, 0));
  });

  it('compiles into MuJoCo with both meshes, the texture and texture coordinates', async () => {
    const env = (await makeCustomEnv({ path: join(QUAD, 'scene.xml') }, 'stand')) as MujocoEnv;
    const m = (env as unknown as { model: { nmesh: number; ntex: number; nmat: number; mesh_texcoordnum: Int32Array; nkey: number } }).model;
    expect(m.nmesh).toBe(2);
    expect(m.ntex).toBeGreaterThanOrEqual(2); // skin.png + the builtin checker
    expect(m.nkey).toBe(1);
    expect(Array.from(m.mesh_texcoordnum)).toContain(4); // the OBJ's four vt
    const d = env.renderDescription();
    expect(d.geoms.filter((g) => g.type === 'mesh' && g.mesh).length).toBe(5); // the torso and 4 thighs
    env.dispose();
  });

  it('the issue\'s smallest case: one OBJ in assets/ beside the XML with meshdir="assets"', async () => {
    const d = join(tmp, 'smallest');
    mkdirSync(join(d, 'assets'), { recursive: true });
    cpSync(join(QUAD, 'assets', 'torso.obj'), join(d, 'assets', 'box.obj'));
    writeFileSync(join(d, 'robot.xml'), `<mujoco><compiler meshdir="assets"/>
  <asset><mesh name="box" file="box.obj"/></asset>
  <worldbody><body name="b"><joint name="j" type="hinge"/><geom type="mesh" mesh="box"/></body></worldbody>
  <actuator><motor joint="j"/></actuator></mujoco>`);
    const env = await makeCustomEnv({ path: join(d, 'robot.xml') }, 'forward');
    expect(env.spec.actDim).toBe(1);
    env.dispose();
  });

  it('accepts a zip of the folder (main XML found as scene.xml under one top folder)', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (const f of ['scene.xml', 'quadruped.xml', 'assets/torso.obj', 'assets/leg.stl', 'assets/skin.png']) {
      entries[`quadruped/${f}`] = readFileSync(join(QUAD, f));
    }
    entries['quadruped/README.txt'] = new TextEncoder().encode('not part of the model');
    const zip = zipSync(entries);
    const folder = loadModelZip(zip);
    expect(folder.main).toBe('scene.xml');
    expect(folder.files.size).toBe(5);
    const zpath = join(tmp, 'quadruped.zip');
    writeFileSync(zpath, zip);
    const env = await makeCustomEnv({ path: zpath }, 'walk');
    expect(env.spec.actDim).toBe(8);
    env.dispose();
  });

  it('takes MJCF text as text: never as a path, and a file reference in it is named', async () => {
    const arm = readFileSync(ARM, 'utf8');
    const env = await makeCustomEnv({ xml: arm }, 'reach');
    expect(env.spec.obsDim).toBe(2 + 2 + 2 + 3 + 3);
    env.dispose();
    // A path given as text is not read (it is not MJCF) …
    const notXml = await asyncErrorOf(makeCustomEnv({ xml: ARM }, 'reach'));
    expect(notXml.code).toBe('bad-mjcf');
    expect(notXml.message).not.toMatch(/file not found/);
    // … and text that references a file says there is no folder to read it from.
    const refs = errorOf(() => modelFromXml('<mujoco><asset><mesh name="m" file="leg.stl"/></asset></mujoco>'));
    expect(refs.message).toContain('leg.stl');
    expect(refs.message).toMatch(/no folder/);
  });
});

describe('every bad reference names its file', () => {
  const cases: Array<[string, (d: string) => void, RegExp[]]> = [
    ['missing include', (d) => edit(join(d, 'scene.xml'), 'file="quadruped.xml"', 'file="robot.xml"'), [/robot\.xml/, /<include file="robot\.xml"> in scene\.xml line \d+/, /not found/]],
    ['missing STL mesh', (d) => rmSync(join(d, 'assets', 'leg.stl')), [/<mesh file="leg\.stl"> in quadruped\.xml line \d+/, /assets\/leg\.stl not found/]],
    ['missing OBJ mesh', (d) => edit(join(d, 'quadruped.xml'), 'file="torso.obj"', 'file="meshes/torso.obj"'), [/meshes\/torso\.obj/, /quadruped\.xml line/]],
    ['missing PNG texture', (d) => rmSync(join(d, 'assets', 'skin.png')), [/<texture file="skin\.png"> in quadruped\.xml/, /assets\/skin\.png not found/]],
    ['missing height field', (d) => edit(join(d, 'scene.xml'), '<asset>', '<asset><hfield name="h" file="terrain.png" size="1 1 0.1 0.1"/>'), [/<hfield file="terrain\.png"> in scene\.xml/, /assets\/terrain\.png not found/]],
    ['missing skybox face', (d) => edit(join(d, 'scene.xml'), '<asset>', '<asset><texture name="sky" type="skybox" fileup="up.png" filedown="skin.png" fileleft="skin.png" fileright="skin.png" filefront="skin.png" fileback="skin.png"/>'), [/<texture fileup="up\.png">/, /up\.png not found/]],
    ['absolute mesh path', (d) => edit(join(d, 'quadruped.xml'), 'file="leg.stl"', 'file="/etc/passwd"'), [/\/etc\/passwd/, /absolute paths are refused/]],
    ['.. escape in a mesh', (d) => edit(join(d, 'quadruped.xml'), 'file="leg.stl"', 'file="../../../secret.stl"'), [/secret\.stl/, /outside the model's folder/]],
    ['.. escape in an include', (d) => edit(join(d, 'scene.xml'), 'file="quadruped.xml"', 'file="../quadruped.xml"'), [/\.\.\/quadruped\.xml/, /outside the model's folder/]],
    ['meshdir leading outside', (d) => edit(join(d, 'quadruped.xml'), 'meshdir="assets"', 'meshdir="../.."'), [/leg\.stl|torso\.obj/, /outside the model's folder/]],
    ['absolute meshdir', (d) => edit(join(d, 'quadruped.xml'), 'meshdir="assets"', 'meshdir="/usr/share"'), [/\/usr\/share/, /absolute/]],
    ['include cycle', (d) => edit(join(d, 'quadruped.xml'), '<option', '<include file="scene.xml"/><option'), [/scene\.xml includes itself|includes itself/]],
    ['symlink leaving the folder', (d) => { rmSync(join(d, 'assets', 'leg.stl')); symlinkSync('/etc/hostname', join(d, 'assets', 'leg.stl')); }, [/leg\.stl/, /outside the model's folder/]],
    ['a folder where a file should be', (d) => { rmSync(join(d, 'assets', 'leg.stl')); mkdirSync(join(d, 'assets', 'leg.stl')); }, [/leg\.stl is not a regular file/]],
    ['MuJoCo cannot parse a mesh', (d) => writeFileSync(join(d, 'assets', 'leg.stl'), 'garbage'), [/assets\/leg\.stl/, /STL/]],
    ['MuJoCo cannot decode a texture', (d) => writeFileSync(join(d, 'assets', 'skin.png'), 'notpng'), [/assets\/skin\.png/, /PNG/]],
    ['bad XML in the included file', (d) => edit(join(d, 'quadruped.xml'), 'type="box" size="0.15 0.1 0.03"', 'type="boxx" size="0.15 0.1 0.03"'), [/boxx/, /quadruped\.xml line \d+/]],
  ];
  for (const [name, breakIt, want] of cases) {
    it(name, async () => {
      const d = copy(name.replace(/\W+/g, '-'));
      breakIt(d);
      const e = await asyncErrorOf(makeCustomEnv({ path: join(d, 'scene.xml') }, 'stand'));
      expect(e.code).toBe('bad-mjcf');
      expect(e.message).not.toMatch(/unknown error/);
      for (const w of want) expect(e.message).toMatch(w);
    });
  }

  it('refuses a file over the per-file limit and a model over the total limit, naming the file', () => {
    const d = copy('limits');
    const perFile = errorOf(() => loadModelFolder(join(d, 'scene.xml'), { maxFileBytes: 600, maxTotalBytes: 1e9, maxFiles: 100, maxIncludeDepth: 8 }));
    expect(perFile.message).toMatch(/(leg\.stl|quadruped\.xml|scene\.xml) is \d+ bytes, over the 600-byte limit/);
    const total = errorOf(() => loadModelFolder(join(d, 'scene.xml'), { maxFileBytes: 1e6, maxTotalBytes: 6000, maxFiles: 100, maxIncludeDepth: 8 }));
    expect(total.message).toMatch(/exceed the 6000-byte total limit \(at [\w/.]+\)/);
  });

  it('a missing main file or a folder given as the model is named', () => {
    expect(errorOf(() => loadModelFolder(join(tmp, 'nope', 'scene.xml'))).message).toContain(join(tmp, 'nope', 'scene.xml'));
    expect(errorOf(() => loadModelFolder(QUAD)).message).toMatch(/is a folder; give its main XML file/);
  });
});

describe('path confinement (fuzzed, seeded)', () => {
  const ref: ModelReference = { element: 'mesh', attribute: 'file', value: 'x', inFile: 'robot.xml', line: 1 };
  const segment = fc.constantFrom('..', '.', 'a', 'b', 'assets', '', '...', 'a..b', '\\..', 'C:', '~');
  const relPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));
  const prefix = fc.constantFrom('', '/', '\\', './', 'sub/');

  it('confineRef returns a normalized path inside the folder, or refuses naming the value', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'sub', 'sub/deeper'), prefix, relPath, (base, pre, rest) => {
        const value = pre + rest;
        let out: string;
        try {
          out = confineRef(base, value, 'fuzz', { ...ref, value });
        } catch (e) {
          expect(e).toBeInstanceOf(EnvError);
          expect((e as EnvError).message).toContain(value === '' ? 'empty' : value);
          return;
        }
        expect(out.startsWith('/')).toBe(false);
        expect(out.split('/')).not.toContain('..');
        expect(out.split('/')).not.toContain('.');
        expect(out).not.toMatch(/^[A-Za-z]:/);
      }),
      { seed: 14, numRuns: 2000 },
    );
  });

  it('collectModel only ever asks its reader for confined paths, and fails with EnvError otherwise', () => {
    const attr = fc.constantFrom('include file', 'mesh file', 'texture file', 'hfield file', 'compiler meshdir', 'compiler texturedir', 'compiler assetdir');
    fc.assert(
      fc.property(fc.array(fc.tuple(attr, prefix, relPath), { minLength: 1, maxLength: 5 }), (refs) => {
        const body = refs.map(([a, pre, rest]) => {
          const [el, at] = a.split(' ');
          return `<${el} ${at}="${(pre + rest).replace(/"/g, '')}"/>`;
        }).join('');
        const files = new Map<string, Uint8Array>([['scene.xml', new TextEncoder().encode(`<mujoco>${body}</mujoco>`)]]);
        const asked: string[] = [];
        const read = memoryReader(files);
        try {
          collectModel('scene.xml', (rel) => {
            asked.push(rel);
            return read(rel);
          }, 'fuzz');
        } catch (e) {
          expect(e).toBeInstanceOf(EnvError);
        }
        for (const p of asked) {
          expect(p.startsWith('/')).toBe(false);
          expect(p.split('/')).not.toContain('..');
        }
      }),
      { seed: 1414, numRuns: 500 },
    );
  });
});

describe('only MJCF is taken as a model', () => {
  it('a file that is not MJCF is refused before anything else is read', () => {
    const d = mkdtempSync(join(tmpdir(), 'robots-notmjcf-'));
    try {
      writeFileSync(join(d, 'notes.xml'), '<html><body><include file="/etc/passwd"/></body></html>');
      const e = errorOf(() => loadModelFolder(join(d, 'notes.xml')));
      expect(e.message).toMatch(/notes\.xml is not an MJCF model/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('zips', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('entries that would land outside the archive are never used; the main XML is found or named', () => {
    const model = '<mujoco><include file="../evil.xml"/></mujoco>';
    const zip = zipSync({ 'robot/scene.xml': enc(model), '../evil.xml': enc('<mujoco/>'), 'robot/../../evil.xml': enc('<mujoco/>') });
    // The '..' entries are dropped; the include that names a file outside scene.xml's folder is refused.
    const e = errorOf(() => loadModelZip(zip));
    expect(e.message).toMatch(/<include file="\.\.\/evil\.xml"> in scene\.xml line 1: "\.\.\/evil\.xml" leads outside the model's folder/);
    const two = zipSync({ 'a.xml': enc('<mujoco/>'), 'b.xml': enc('<mujoco/>') });
    expect(errorOf(() => loadModelZip(two)).message).toMatch(/cannot tell the main XML \(candidates: a\.xml, b\.xml\); name it scene\.xml/);
    expect(errorOf(() => loadModelZip(enc('not a zip'))).message).toMatch(/not a readable zip archive/);
  });

  it('a zip entry over the per-file limit is refused before it is inflated', () => {
    const zip = zipSync({ 'scene.xml': enc('<mujoco/>'), 'big.stl': new Uint8Array(5000) });
    const e = errorOf(() => loadModelZip(zip, undefined, 'big.zip', { maxFileBytes: 1000, maxTotalBytes: 1e6, maxFiles: 10, maxIncludeDepth: 4 }));
    expect(e.message).toMatch(/model big\.zip: .*big\.stl is 5000 bytes, over the 1000-byte limit per file/);
  });
});

describe('model text and model path are two inputs', () => {
  it('MJCF text given where a path belongs is refused without being echoed or read as a file', async () => {
    const text = '<mujoco><worldbody><geom size="1"/></worldbody></mujoco>';
    const e = errorOf(() => loadModelFolder(text));
    expect(e.message).toMatch(/expected the path of an MJCF file, got text/);
    expect(e.message).not.toContain('worldbody');
    const viaEnv = await asyncErrorOf(makeCustomEnv({ path: `/tmp/${text}` }, 'forward'));
    expect(viaEnv.message).not.toContain('worldbody');
  });
});
