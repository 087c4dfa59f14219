// Three.js geometry for each MuJoCo geom type, in the geom's own MuJoCo frame (built once per
// task). MuJoCo's capsules and cylinders run along their local Z; three's along Y, hence the
// geometry-level rotation (a shape fact, not the world conversion).
import {
  BoxGeometry, BufferAttribute, BufferGeometry, CanvasTexture, CapsuleGeometry, Color, CylinderGeometry, DoubleSide, Mesh,
  MeshStandardMaterial, PlaneGeometry, RepeatWrapping, SphereGeometry, SRGBColorSpace,
} from 'three';
import type { RenderGeom } from '../../core/envs/types.js';

const SEG = 24;
/** Extent of a MuJoCo plane whose size is 0 (infinite). */
const INFINITE_PLANE_HALF = 30;

export function geometryFor(g: RenderGeom): BufferGeometry | null {
  const [a, b, c] = g.size;
  switch (g.type) {
    case 'sphere': return new SphereGeometry(a, SEG, SEG / 2);
    case 'ellipsoid': return new SphereGeometry(1, SEG, SEG / 2).scale(a, b, c);
    case 'capsule': return new CapsuleGeometry(a, 2 * b, 8, SEG).rotateX(Math.PI / 2);
    case 'cylinder': return new CylinderGeometry(a, a, 2 * b, SEG).rotateX(Math.PI / 2);
    case 'box': return new BoxGeometry(2 * a, 2 * b, 2 * c);
    case 'plane': return new PlaneGeometry(2 * (a > 0 ? a : INFINITE_PLANE_HALF), 2 * (b > 0 ? b : INFINITE_PLANE_HALF));
    case 'mesh': {
      if (!g.mesh) return null;
      const geo = new BufferGeometry();
      geo.setAttribute('position', new BufferAttribute(new Float32Array(g.mesh.vertices), 3));
      geo.setIndex(new BufferAttribute(new Uint32Array(g.mesh.faces), 1));
      geo.computeVertexNormals();
      return geo;
    }
    case 'hfield': return null;
  }
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

export function meshFor(g: RenderGeom): Mesh | null {
  const geo = geometryFor(g);
  if (!geo) return null;
  const [r, gr, bl, alpha] = g.rgba;
  const mat = new MeshStandardMaterial({
    color: new Color().setRGB(r, gr, bl, SRGBColorSpace), roughness: 0.55, metalness: 0.1,
    transparent: alpha < 1, opacity: alpha,
  });
  if (g.type === 'plane') {
    const tex = checkerTexture().clone();
    const w = 2 * (g.size[0] > 0 ? g.size[0] : INFINITE_PLANE_HALF);
    const h = 2 * (g.size[1] > 0 ? g.size[1] : INFINITE_PLANE_HALF);
    tex.repeat.set(w / 1, h / 1);
    tex.needsUpdate = true;
    mat.map = tex;
    mat.color.set(0xffffff);
    mat.side = DoubleSide;
    mat.roughness = 0.9;
  }
  const m = new Mesh(geo, mat);
  m.name = g.name;
  m.castShadow = g.type !== 'plane';
  m.receiveShadow = true;
  return m;
}
