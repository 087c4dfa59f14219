// The one MuJoCo (Z-up) → three.js (Y-up) conversion and the per-frame pose copy.
import { Object3D, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { POSE_STRIDE } from '../src/core/envs/types.js';
import { applyPoses, createMujocoRoot } from '../src/renderer/view/mujoco-frame.js';

function world(o: Object3D, local: [number, number, number]): number[] {
  o.updateWorldMatrix(true, false);
  return o.localToWorld(new Vector3(...local)).toArray().map((v) => Math.round(v * 1e6) / 1e6 + 0);
}

describe('MuJoCo → three frame', () => {
  it('maps MuJoCo up (+Z) to three up (+Y) and keeps handedness (x, y, z) → (x, z, -y)', () => {
    const root = createMujocoRoot();
    const body = new Object3D();
    root.add(body);
    expect(world(body, [0, 0, 1])).toEqual([0, 1, 0]);
    expect(world(body, [1, 0, 0])).toEqual([1, 0, 0]);
    expect(world(body, [0, 1, 0])).toEqual([0, 0, -1]);
  });

  it('copies positions and converts quaternion order wxyz → xyzw', () => {
    const root = createMujocoRoot();
    const a = new Object3D(), b = new Object3D();
    root.add(a, b);
    // b: at (1, 2, 3), rotated 90° about MuJoCo's z axis: q = (cos45°, 0, 0, sin45°).
    const c = Math.SQRT1_2;
    const poses = new Float32Array(3 * POSE_STRIDE);
    poses.set([9, 9, 9, 9, 9, 9, 9], 0); // padding frame before the offset
    poses.set([0, 0, 0, 1, 0, 0, 0], POSE_STRIDE);
    poses.set([1, 2, 3, c, 0, 0, c], 2 * POSE_STRIDE);
    applyPoses([a, b], poses, POSE_STRIDE);
    expect(a.position.toArray()).toEqual([0, 0, 0]);
    expect(b.position.toArray()).toEqual([1, 2, 3]);
    expect(b.quaternion.w).toBeCloseTo(c, 6);
    expect(b.quaternion.z).toBeCloseTo(c, 6);
    // The body's local +x (MuJoCo) points along MuJoCo +y after the rotation: three (0, 0, -1) from its origin.
    const origin = world(b, [0, 0, 0]);
    const tip = world(b, [1, 0, 0]);
    expect(origin).toEqual([1, 3, -2]);
    expect(tip.map((v, i) => Math.round((v - origin[i]) * 1e6) / 1e6 + 0)).toEqual([0, 0, -1]);
  });

  it('skips null slots (geoms without a mesh) and stops at the end of the array', () => {
    const o = new Object3D();
    applyPoses([null, o, new Object3D()], new Float32Array([0, 0, 0, 1, 0, 0, 0, 5, 6, 7, 1, 0, 0, 0]));
    expect(o.position.toArray()).toEqual([5, 6, 7]);
  });
});
