// The render description of your own robot draws what MuJoCo's viewer draws by default: visual
// geoms (groups 0–2) shown, collision geoms (group ≥ 3) marked hidden, material colours, the PNG
// texture on the OBJ mesh with its texture coordinates, and height fields.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Box3, Mesh, MeshBasicMaterial, MeshStandardMaterial, Vector3 } from 'three';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeCustomEnv } from '../src/core/envs/custom.js';
import { geometryFor, heightFieldGeometry, isCollisionGeom, meshFor, textureFor } from '../src/renderer/view/geoms.js';
// @ts-expect-error: a plain ES module script beside the fixtures (no types)
import { checkerPng } from './fixtures/robots/make-assets.mjs';

const QUAD = new URL('./fixtures/robots/quadruped/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'robots-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('render description of the quadruped', () => {
  it('visual and collision geoms by group, material colours, the texture on the textured mesh', async () => {
    const env = await makeCustomEnv({ path: join(QUAD, 'scene.xml') }, 'stand');
    const d = env.renderDescription();
    const visual = d.geoms.filter((g) => !isCollisionGeom(g));
    const collision = d.geoms.filter(isCollisionGeom);
    // floor (group 0) + torso and 4 thigh meshes (group 2); every capsule, sphere and box is group 3
    expect(visual.map((g) => g.type).sort()).toEqual(['mesh', 'mesh', 'mesh', 'mesh', 'mesh', 'plane']);
    expect(collision).toHaveLength(13);
    expect(collision.every((g) => g.type !== 'mesh')).toBe(true);
    const torso = d.geoms.find((g) => g.name === 'torso_visual');
    const leg = d.geoms.find((g) => g.type === 'mesh' && g.name !== 'torso_visual');
    // The leg's material colour; the torso's material is white and carries skin.png.
    expect(leg?.rgba.map((x) => +x.toFixed(3))).toEqual([0.2, 0.25, 0.3, 1]);
    expect(leg?.texture).toBeUndefined();
    expect(torso?.texture).toBe(0);
    expect(d.textures).toHaveLength(1);
    const tex = d.textures![0];
    expect([tex.width, tex.height, tex.nchannel]).toEqual([4, 4, 3]);
    // The checker PNG: light (230,160,40) where x + y is even, dark (40,90,30) elsewhere.
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const o = 3 * (4 * y + x);
        expect(Array.from(tex.data.subarray(o, o + 3))).toEqual((x + y) % 2 === 0 ? [230, 160, 40] : [40, 90, 30]);
      }
    }
    // 12 triangles, one vertex per corner, with MuJoCo's texcoords (OBJ vt, v flipped).
    expect(torso?.mesh?.faces.length).toBe(36);
    expect(torso?.mesh?.vertices.length).toBe(3 * 36);
    const uv = torso?.mesh?.uv as Float32Array;
    expect(uv.length).toBe(2 * 36);
    expect(new Set(Array.from(uv)).size).toBe(2); // corners of the unit square only
    expect(leg?.mesh?.uv).toBeUndefined();

    // three.js: the textured mesh gets the texture as its map, the collision box is built too.
    const m = meshFor(torso!, d.textures) as Mesh;
    expect((m.material as MeshStandardMaterial).map).not.toBeNull();
    expect(m.geometry.getAttribute('uv').count).toBe(36);
    expect((textureFor(tex).image as { data: Uint8Array }).data.length).toBe(4 * 16);
    env.dispose();
  });

  it('height fields come with their grid and size, and build a surface', async () => {
    const d = join(tmp, 'terrain');
    cpSync(QUAD, d, { recursive: true });
    writeFileSync(join(d, 'assets', 'terrain.png'), checkerPng(4));
    const scene = join(d, 'scene.xml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(scene, readFileSync(scene, 'utf8')
      .replace('<asset>', '<asset><hfield name="terrain" file="terrain.png" size="2 1 0.1 0.05"/>')
      .replace('<geom name="floor"', '<geom name="bumps" type="hfield" hfield="terrain" pos="3 0 0"/><geom name="floor"'));
    const env = await makeCustomEnv({ path: scene }, 'stand');
    const h = env.renderDescription().geoms.find((g) => g.name === 'bumps');
    expect(h?.type).toBe('hfield');
    expect(h?.hfield).toMatchObject({ nrow: 4, ncol: 4, size: [2, 1, 0.1, 0.05] });
    const data = Array.from(h!.hfield!.data);
    expect(Math.max(...data)).toBeCloseTo(1, 6);
    expect(Math.min(...data)).toBeCloseTo(0, 6);
    const geo = heightFieldGeometry(h!.hfield!);
    const pos = geo.getAttribute('position');
    expect(pos.count).toBe(16);
    expect(geo.getIndex()?.count).toBe(6 * 9);
    expect([pos.getX(0), pos.getY(0)]).toEqual([-2, -1]);
    expect([pos.getX(15), pos.getY(15)]).toEqual([2, 1]);
    expect(pos.getZ(0)).toBeCloseTo(0.1 * data[0], 6);
    env.dispose();
  });
});

describe('software WebGL (lite) geometry', () => {
  it('round geoms keep their size with fewer triangles; planes get the unlit floor', () => {
    const base = { name: 'g', body: 1, rgba: [0.5, 0.5, 0.5, 1] as [number, number, number, number] };
    for (const type of ['sphere', 'capsule', 'cylinder', 'ellipsoid'] as const) {
      const g = { ...base, type, size: [0.1, 0.3, 0.2] as [number, number, number] };
      const full = geometryFor(g), lite = geometryFor(g, true);
      if (!full || !lite) throw new Error(`no ${type} geometry`);
      const tris = (x: typeof full) => (x.index ? x.index.count : x.attributes.position.count) / 3;
      expect(tris(lite), type).toBeLessThanOrEqual(tris(full) / 2);
      // Same extent within the chord error of 12 segments (cos 15° ≈ 0.966).
      const size = (x: typeof full) => new Box3().setFromBufferAttribute(x.attributes.position as never).getSize(new Vector3());
      const [a, b] = [size(full), size(lite)];
      for (const k of ['x', 'y', 'z'] as const) expect(Math.abs(a[k] - b[k]) / a[k], `${type} ${k}`).toBeLessThan(0.04);
    }
    // The checker is drawn on a canvas: a stand-in without a 2D context (a plain floor) will do here.
    vi.stubGlobal('document', { createElement: () => ({ width: 0, height: 0, getContext: () => null }) });
    const plane = { ...base, type: 'plane' as const, size: [0, 0, 0.05] as [number, number, number] };
    expect((meshFor(plane, [], true) as Mesh).material).toBeInstanceOf(MeshBasicMaterial);
    expect((meshFor(plane, [], false) as Mesh).material).toBeInstanceOf(MeshStandardMaterial);
    vi.unstubAllGlobals();
  });
});

describe('fixture assets', () => {
  it('are exactly what make-assets.mjs writes (our own shapes, regenerable)', async () => {
    // @ts-expect-error: a plain ES module script beside the fixtures (no types)
    const gen = (await import('./fixtures/robots/make-assets.mjs')) as { torsoObj(): string; legStl(): Buffer; checkerPng(n?: number): Buffer };
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(QUAD, 'assets', 'torso.obj'), 'utf8')).toBe(gen.torsoObj());
    expect(Buffer.compare(readFileSync(join(QUAD, 'assets', 'leg.stl')), gen.legStl())).toBe(0);
    expect(Buffer.compare(readFileSync(join(QUAD, 'assets', 'skin.png')), gen.checkerPng())).toBe(0);
  });
});
