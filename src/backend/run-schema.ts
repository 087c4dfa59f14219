// Limits of renderer requests that no config schema covers.
/** Largest MJCF text accepted from the renderer. */
export const MAX_MJCF_BYTES = 4 * 1024 * 1024;
export const MAX_EVAL_EPISODES = 100;
/** Largest zipped model folder accepted from the renderer (serve mode uploads). */
export const MAX_MODEL_ZIP_BYTES = 64 * 1024 * 1024;
