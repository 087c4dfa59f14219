// Three.js geometry for each MuJoCo geom type, in the geom's own MuJoCo frame (built once per
// task). MuJoCo's capsules and cylinders run along their local Z; three's along Y, hence the
// geometry-level rotation (a shape fact, not the world conversion).
import {
  BoxGeometry, BufferAttribute, BufferGeometry, CanvasTexture, CapsuleGeometry, Color, CylinderGeometry, DataTexture, DoubleSide, LinearMipmapNearestFilter,
  Mesh, MeshBasicMaterial, MeshLambertMaterial, MeshStandardMaterial, PlaneGeometry, RepeatWrapping, RGBAFormat, SphereGeometry, SRGBColorSpace,
} from 'three';
import type { RenderGeom, RenderTexture } from '../../core/envs/types.js';

/** MuJoCo's viewer shows geom groups 0–2 by default; 3 and up hold collision geoms (Menagerie). */
export const FIRST_HIDDEN_GROUP = 3;

export function isCollisionGeom(g: RenderGeom): boolean {
  return (g.group ?? 0) >= FIRST_HIDDEN_GROUP;
}

/**
 * Segments around spheres, capsules and cylinders, and rings per capsule cap. Software WebGL
 * (`lite`) takes fewer: SwiftShader's cost per frame grows with the triangles more than with the
 * pixels (HalfCheetah, half resolution, 10 frames/s: Chromium's GPU process took 0.22 of a core at
 * 6,530 triangles, 0.15 at 3,266, 0.14 at 1,346), and at half resolution 12 segments look round.
 */
const SEG = 24, CAP_RINGS = 8;
const SEG_LITE = 12, CAP_RINGS_LITE = 3;
/** Extent of a MuJoCo plane whose size is 0 (infinite). */
const INFINITE_PLANE_HALF = 30;

export function geometryFor(g: RenderGeom, lite = false): BufferGeometry | null {
  const [a, b, c] = g.size;
  const seg = lite ? SEG_LITE : SEG, rings = lite ? CAP_RINGS_LITE : CAP_RINGS;
  switch (g.type) {
    case 'sphere': return new SphereGeometry(a, seg, seg / 2);
    case 'ellipsoid': return new SphereGeometry(1, seg, seg / 2).scale(a, b, c);
    case 'capsule': return new CapsuleGeometry(a, 2 * b, rings, seg).rotateX(Math.PI / 2);
    case 'cylinder': return new CylinderGeometry(a, a, 2 * b, seg).rotateX(Math.PI / 2);
    case 'box': return new BoxGeometry(2 * a, 2 * b, 2 * c);
    case 'plane': return new PlaneGeometry(2 * (a > 0 ? a : INFINITE_PLANE_HALF), 2 * (b > 0 ? b : INFINITE_PLANE_HALF));
    case 'mesh': {
      if (!g.mesh) return null;
      const geo = new BufferGeometry();
      geo.setAttribute('position', new BufferAttribute(new Float32Array(g.mesh.vertices), 3));
      if (g.mesh.uv) geo.setAttribute('uv', new BufferAttribute(new Float32Array(g.mesh.uv), 2));
      geo.setIndex(new BufferAttribute(new Uint32Array(g.mesh.faces), 1));
      geo.computeVertexNormals();
      return geo;
    }
    case 'hfield': return g.hfield ? heightFieldGeometry(g.hfield) : null;
  }
}

/**
 * A height field's top surface in its geom frame: x across columns, y across rows (MuJoCo's
 * layout), z = elevation × top height.
 */
export function heightFieldGeometry(h: NonNullable<RenderGeom['hfield']>): BufferGeometry {
  const { nrow, ncol, data } = h;
  const [sx, sy, sz] = h.size;
  const pos = new Float32Array(3 * nrow * ncol);
  for (let r = 0; r < nrow; r++) {
    for (let c = 0; c < ncol; c++) {
      const k = r * ncol + c;
      pos[3 * k] = -sx + (2 * sx * c) / Math.max(1, ncol - 1);
      pos[3 * k + 1] = -sy + (2 * sy * r) / Math.max(1, nrow - 1);
      pos[3 * k + 2] = data[k] * sz;
    }
  }
  const idx = new Uint32Array(6 * Math.max(0, nrow - 1) * Math.max(0, ncol - 1));
  let i = 0;
  for (let r = 0; r + 1 < nrow; r++) {
    for (let c = 0; c + 1 < ncol; c++) {
      const a = r * ncol + c, b = a + 1, d = a + ncol, e = d + 1;
      idx[i++] = a; idx[i++] = b; idx[i++] = e;
      idx[i++] = a; idx[i++] = e; idx[i++] = d;
    }
  }
  const geo = new BufferGeometry();
  geo.setAttribute('position', new BufferAttribute(pos, 3));
  geo.setIndex(new BufferAttribute(idx, 1));
  geo.computeVertexNormals();
  return geo;
}

/** A MuJoCo texture as a three.js texture (RGB expanded to RGBA; rows as MuJoCo uploads them). */
export function textureFor(t: RenderTexture): DataTexture {
  const n = t.width * t.height;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    rgba[4 * i] = t.data[t.nchannel * i];
    rgba[4 * i + 1] = t.data[t.nchannel * i + 1];
    rgba[4 * i + 2] = t.data[t.nchannel * i + 2];
    rgba[4 * i + 3] = t.nchannel === 4 ? t.data[4 * i + 3] : 255;
  }
  const tex = new DataTexture(rgba, t.width, t.height, RGBAFormat);
  tex.colorSpace = SRGBColorSpace;
  tex.wrapS = tex.wrapT = RepeatWrapping;
  tex.needsUpdate = true;
  return tex;
}

let checker: CanvasTexture | null = null;
/** A two-tone checker with grid lines: the floor reads as a floor and motion is visible. */
export function checkerTexture(): CanvasTexture {
  if (checker) return checker;
  const cv = document.createElement('canvas');
  cv.width = cv.height = 128;
  const ctx = cv.getContext('2d');
  if (ctx) {
    ctx.fillStyle = '#2b3340'; ctx.fillRect(0, 0, 128, 128);
    ctx.fillStyle = '#323b4a'; ctx.fillRect(0, 0, 64, 64); ctx.fillRect(64, 64, 64, 64);
    ctx.strokeStyle = '#4a5568'; ctx.lineWidth = 2; ctx.strokeRect(0, 0, 128, 128);
  }
  checker = new CanvasTexture(cv);
  checker.wrapS = checker.wrapT = RepeatWrapping;
  checker.colorSpace = SRGBColorSpace;
  checker.anisotropy = 4;
  return checker;
}

/**
 * A geom's material. `lite` (software WebGL) takes Lambert shading instead of the physically based
 * one: per pixel it is a few multiply-adds instead of a GGX specular term, which is most of what
 * SwiftShader spends drawing the view on the CPU cores training needs.
 */
export function surfaceMaterial(color: Color, alpha: number, lite: boolean, pbr: { roughness: number; metalness: number } = { roughness: 0.55, metalness: 0.1 }): MeshStandardMaterial | MeshLambertMaterial {
  const common = { color, transparent: alpha < 1, opacity: alpha };
  return lite ? new MeshLambertMaterial(common) : new MeshStandardMaterial({ ...common, ...pbr });
}

/**
 * The checkered floor of a plane geom or of the scene, the checker repeated width × height
 * times (the caller's choice of checker size). `lite` (software WebGL): unlit, its texture
 * sampled from one mip level without anisotropy. The floor covers much of the view and lighting
 * a flat unshadowed plane changes little of how it looks; measured, the saving is small next to
 * the triangles' (above).
 */
export function floorMaterial(width: number, height: number, lite: boolean, roughness: number): MeshBasicMaterial | MeshStandardMaterial {
  const tex = checkerTexture().clone();
  tex.repeat.set(width, height);
  if (lite) {
    tex.anisotropy = 1;
    tex.minFilter = LinearMipmapNearestFilter;
  }
  tex.needsUpdate = true;
  // Unlit, the checker is drawn a little darker than its colours, as the lit floor shows them.
  return lite ? new MeshBasicMaterial({ map: tex, color: new Color(0xd0d0d0), side: DoubleSide }) : new MeshStandardMaterial({ map: tex, roughness, metalness: 0, side: DoubleSide });
}

/** The mesh of one geom; `textures` are the description's (a textured geom gets its own copy's map). */
export function meshFor(g: RenderGeom, textures: readonly RenderTexture[] = [], lite = false): Mesh | null {
  const geo = geometryFor(g, lite);
  if (!geo) return null;
  const [r, gr, bl, alpha] = g.rgba;
  let mat: MeshStandardMaterial | MeshLambertMaterial | MeshBasicMaterial;
  if (g.type === 'plane') {
    mat = floorMaterial(2 * (g.size[0] > 0 ? g.size[0] : INFINITE_PLANE_HALF), 2 * (g.size[1] > 0 ? g.size[1] : INFINITE_PLANE_HALF), lite, 0.9);
  } else {
    mat = surfaceMaterial(new Color().setRGB(r, gr, bl, SRGBColorSpace), alpha, lite);
    const t = g.texture !== undefined && g.mesh?.uv ? textures[g.texture] : undefined;
    if (t) mat.map = textureFor(t);
    if (g.type === 'hfield') mat.side = DoubleSide;
  }
  const m = new Mesh(geo, mat);
  m.name = g.name;
  m.castShadow = g.type !== 'plane';
  m.receiveShadow = true;
  return m;
}
