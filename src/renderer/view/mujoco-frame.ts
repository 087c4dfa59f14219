// MuJoCo is Z-up, three.js is Y-up. The conversion happens here and only here: every body
// mesh lives under this group, whose rotation maps MuJoCo's (x, y, z) to three's (x, z, -y).
// Inside the group, positions and quaternions are copied verbatim from MuJoCo.
import { Group, type Object3D, type Vector3 } from 'three';
import { POSE_STRIDE } from '../../core/envs/types.js';

export function createMujocoRoot(): Group {
  const g = new Group();
  g.name = 'mujoco-world';
  g.rotation.x = -Math.PI / 2;
  return g;
}

/**
 * Copies geom poses (pos xyz, quat wxyz per geom, MuJoCo frame) into the objects, reading
 * poses[offset…]. Allocation-free: this runs for every frame.
 */
export function applyPoses(objects: readonly (Object3D | null)[], poses: Float32Array, offset = 0): void {
  const n = Math.min(objects.length, Math.floor((poses.length - offset) / POSE_STRIDE));
  for (let i = 0; i < n; i++) {
    const o = objects[i];
    if (!o) continue;
    const k = offset + i * POSE_STRIDE;
    o.position.set(poses[k], poses[k + 1], poses[k + 2]);
    // three's Quaternion is (x, y, z, w); MuJoCo stores (w, x, y, z).
    o.quaternion.set(poses[k + 4], poses[k + 5], poses[k + 6], poses[k + 3]);
  }
}

/** A point in three's world → MuJoCo world coordinates (the root's local frame), into out. */
export function toMujoco(root: Object3D, p: Vector3, out: Vector3): Vector3 {
  return root.worldToLocal(out.copy(p));
}
