// The protocol between a host (LabBackend) and the viewer process (src/core/viewer/child.ts).
// The viewer plays a policy in real time on a MuJoCo instance of its own; the host feeds it the
// trainer's PolicySnapshots and the user's controls, and forwards its states to the renderer.
// Bulk data (poses, μ/σ) crosses as typed arrays (fork with serialization: 'advanced').

import type { EnvSource } from '../rl/context.js';
import type { RenderDescription, TaskSpec } from '../envs/types.js';
import type { PolicySnapshot } from '../policy/snapshot.js';

/** What the viewer plays: a task (built-in, custom MJCF or env module) and the seed its resets derive from. */
export interface ViewerSource {
  readonly env: EnvSource;
  readonly seed: number;
  /** Shown in the view: the run or bundle being played. */
  readonly label: string;
}

/** A policy version: the snapshot and the training update / env steps it came from. */
export interface ViewerPolicy {
  readonly snapshot: PolicySnapshot;
  readonly update: number;
  readonly steps: number;
}

/** The user's settings; every field optional, absent = unchanged. */
export interface ViewerControl {
  readonly paused?: boolean;
  /** Simulated seconds per wall second, 0.1–4. */
  readonly speed?: number;
  /** Mean action (true) or a seeded sample from the policy. */
  readonly deterministic?: boolean;
  /** Swap a new policy in at once instead of at the next episode start. */
  readonly swapAtOnce?: boolean;
  /** One env step while paused. */
  readonly step?: boolean;
  /** Abandon the episode and start a fresh one. */
  readonly reset?: boolean;
}

/**
 * The mouse push, as MuJoCo's simulate: a spring from a point on `body` toward `target` (both
 * MuJoCo world coordinates). `grab` is the picked point when the drag starts; it is fixed in the
 * body from then on. Absent body = release.
 */
export interface ViewerPush {
  readonly body?: number;
  readonly grab?: readonly [number, number, number];
  readonly target?: readonly [number, number, number];
}

export type HostToViewer =
  | { readonly type: 'load'; readonly source: ViewerSource; readonly policy: ViewerPolicy | null }
  | { readonly type: 'policy'; readonly policy: ViewerPolicy }
  /** Plays a run's latest checkpoint or an imported bundle (the viewer reads and verifies it). */
  | { readonly type: 'play'; readonly dir: string }
  | { readonly type: 'control'; readonly control: ViewerControl }
  | { readonly type: 'push'; readonly push: ViewerPush }
  /** Stops playing (no states) until the next load. */
  | { readonly type: 'unload' };

/** The viewer's settings as they are now (echoed in every state). */
export interface ViewerSettings {
  readonly paused: boolean;
  readonly speed: number;
  readonly deterministic: boolean;
  readonly swapAtOnce: boolean;
}

/**
 * One pose update of the player, about 60 per second while playing. poses: ngeom × POSE_STRIDE at
 * simTime (interpolated between the two env steps around it). push: anchor xyz then target xyz
 * while a push is held, else empty.
 */
export interface ViewerState {
  readonly type: 'viewer-state'; readonly seq: number; readonly simTime: number; readonly poses: Float32Array;
  readonly mu: Float32Array; readonly std: Float32Array; readonly episode: number; readonly episodeStep: number;
  readonly episodeReturn: number; readonly update: number; readonly steps: number; readonly push: Float32Array;
  readonly settings: ViewerSettings;
}

/** What the player (player.ts) produces. */
export type ViewerPlayerMessage =
  /** Sent once per load: the scene to build. */
  | { readonly type: 'viewer-model'; readonly label: string; readonly spec: TaskSpec; readonly render: RenderDescription; readonly pushable: boolean }
  | ViewerState
  /** A finished viewer episode: one point of the evaluation-return curve. */
  | { readonly type: 'viewer-episode'; readonly episode: number; readonly return: number; readonly length: number; readonly update: number; readonly steps: number; readonly deterministic: boolean }
  | { readonly type: 'viewer-error'; readonly message: string };

/**
 * What the viewer process sends its host: the player's messages, its states in batches. Every
 * message costs a wake-up in each process on the way to the page (host, Chromium's network
 * process, the renderer), so while the user only watches, states travel STATES_PER_BATCH at a
 * time — 10 messages/s instead of 60 — and the page shows them intervalMs apart, as they were
 * made, about a batch behind the simulation. While a push is held they travel one by one, so
 * the shove shows without that delay (state-batch.ts). bench:app: a third of the messages took
 * roughly 2–3 points off a ~7 % cost to training; BENCHMARKS.md has the figures for six.
 */
export type ViewerToHost =
  | Exclude<ViewerPlayerMessage, ViewerState>
  | { readonly type: 'viewer-states'; readonly intervalMs: number; readonly states: readonly ViewerState[] };

/** States per batch while watching (the last one ≤ (n − 1) × intervalMs late: 83 ms at 60 states/s). */
export const STATES_PER_BATCH = 6;

export const VIEWER_SPEED_MIN = 0.1;
export const VIEWER_SPEED_MAX = 4;
/** Viewer episodes use their own seeds, disjoint from training's and Evaluate's. */
export const VIEWER_SEED_OFFSET = 2_000_003;
