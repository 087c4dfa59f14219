// The environment contract, in the Gymnasium spirit. Everything the trainer, the CLI and the
// renderer know about a task goes through these types.

/** A box of real vectors: shape [n], per-dimension bounds (±Infinity where unbounded). */
export interface BoxSpace {
  readonly kind: 'box';
  readonly shape: readonly [number];
  readonly low: Float32Array;
  readonly high: Float32Array;
}

/** A finite set of actions {0, …, n-1}. */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
}

export type Space = BoxSpace | DiscreteSpace;

/** What a task is, as listed by the registry (CLI `tasks`, the UI's task picker). */
export interface TaskSpec {
  readonly name: string;
  readonly description: string;
  readonly obsDim: number;
  readonly actDim: number;
  /** 'box' for continuous control, 'discrete' for categorical policies. */
  readonly actionKind: 'box' | 'discrete';
  readonly frameSkip: number;
  readonly maxEpisodeSteps: number;
  /** Names of the reward terms reported in StepInfo.rewardTerms, summed (with signs) into reward. */
  readonly rewardTerms: readonly string[];
}

export interface StepInfo {
  /** Each reward term as it entered the reward (signs and weights applied). */
  readonly rewardTerms: Record<string, number>;
  /** Steps taken in the current episode. */
  readonly elapsedSteps: number;
}

/**
 * The result of one step. The Env owns and reuses `obs` and the object itself:
 * copy what you need before the next call (hot loops allocate nothing).
 */
export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

/** One geom of the render description, in MuJoCo's Z-up world frame. */
export interface RenderGeom {
  readonly name: string;
  /** MuJoCo geom type. */
  readonly type: 'plane' | 'sphere' | 'capsule' | 'ellipsoid' | 'cylinder' | 'box' | 'mesh' | 'hfield';
  /** MuJoCo geom_size (half-sizes / radius, half-length as MuJoCo defines per type). */
  readonly size: readonly [number, number, number];
  readonly rgba: readonly [number, number, number, number];
  /** Index of the parent body. */
  readonly body: number;
  /**
   * For meshes: vertex positions (x,y,z…) in the geom frame and triangle indices. A mesh drawn
   * with a texture has one vertex per face corner and `uv` (u,v per vertex, MuJoCo's texcoords).
   */
  readonly mesh?: { readonly vertices: Float32Array; readonly faces: Uint32Array; readonly uv?: Float32Array };
  /** MuJoCo geom group: the viewer shows 0–2 by default; 3 and up are collision geoms (Menagerie). */
  readonly group?: number;
  /** Index into RenderDescription.textures of the material's 2D texture (meshes with texcoords). */
  readonly texture?: number;
  /** Height field: nrow × ncol elevations in [0, 1] (row-major, y then x), scaled by size[2] of hfieldSize. */
  readonly hfield?: {
    readonly nrow: number;
    readonly ncol: number;
    /** MuJoCo hfield_size: x and y half-extents, top elevation, base depth. */
    readonly size: readonly [number, number, number, number];
    readonly data: Float32Array;
  };
}

/** A 2D texture (rows as MuJoCo stores them; row 0 is v = 0, as MuJoCo's own renderer uploads it). */
export interface RenderTexture {
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA) bytes per texel. */
  readonly nchannel: number;
  readonly data: Uint8Array;
}

/** Sent once per task; per frame only the poses array moves (see Env.writePoses). */
export interface RenderDescription {
  readonly task: string;
  readonly geoms: readonly RenderGeom[];
  readonly bodyNames: readonly string[];
  /** Body the camera follows (usually the torso). */
  readonly trackBody: number;
  /** Textures the geoms refer to (custom robots' materials). */
  readonly textures?: readonly RenderTexture[];
}

/** Floats per geom in a poses array: position x,y,z then quaternion w,x,y,z (MuJoCo frame). */
export const POSE_STRIDE = 7;

export interface Env {
  readonly spec: TaskSpec;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** Starts an episode. A seed reseeds the env's own generator (reset noise). Returns env-owned obs. */
  reset(seed?: number): Float32Array;
  /** Advances frameSkip physics steps. Throws EnvError on bad actions or stepping a finished episode. */
  step(action: ArrayLike<number>): StepResult;
  renderDescription(): RenderDescription;
  /** Writes ngeom × POSE_STRIDE floats into out (no allocation). */
  writePoses(out: Float32Array): void;
  /** Full simulator + episode + RNG state, so a checkpoint resumes exactly. */
  getState(): Float64Array;
  setState(state: Float64Array): void;
  /** Frees MjModel/MjData. The env is unusable afterwards. */
  dispose(): void;
}

export type EnvErrorCode =
  | 'bad-action-shape'
  | 'non-finite-action'
  | 'episode-finished'
  | 'unknown-task'
  | 'bad-mjcf'
  | 'bad-preset'
  | 'disposed'
  | 'bad-state'
  /** A caller-provided output buffer is too small (e.g. writePoses). */
  | 'bad-buffer';

/** Every env failure the user can cause is one of these, with a message naming the problem. */
export class EnvError extends Error {
  constructor(readonly code: EnvErrorCode, message: string) {
    super(message);
    this.name = 'EnvError';
  }
}
