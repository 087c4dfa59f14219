// A custom robot's model folder inside a policy bundle: every file the model uses (the XML, its
// includes, meshes, textures) under model/, checksummed in the card like the policy's files, so
// the bundle imports and replays on a machine that never saw the original folder.

import { join } from 'node:path';
import type { ModelFolder } from '../envs/model-folder.js';
import type { RunConfig } from '../protocol.js';
import type { BundleAttachment } from './bundle.js';
import { CARD_FILE, type PolicyCard } from './card.js';
import { ExportError } from './errors.js';

export const MODEL_DIR = 'model';
/** Role of the model's main XML in the card; its other files have MODEL_FILE_ROLE. */
export const MODEL_MAIN_ROLE = 'model-main';
export const MODEL_FILE_ROLE = 'model-file';
// The card accepts plain relative paths of these characters only (card.ts SAFE_PATH).
const SAFE_NAME = /^[A-Za-z0-9._/-]+$/;

export function modelAttachments(folder: ModelFolder): BundleAttachment[] {
  const out: BundleAttachment[] = [];
  for (const [rel, bytes] of folder.files) {
    if (!SAFE_NAME.test(rel) || rel.split('/').some((s) => s === '.' || s === '..')) {
      throw new ExportError('bad-meta', `the model file "${rel}" has characters a bundle cannot carry (letters, digits, . _ - / only); rename it to export this run`);
    }
    out.push({ path: `${MODEL_DIR}/${rel}`, role: rel === folder.main ? MODEL_MAIN_ROLE : MODEL_FILE_ROLE, bytes });
  }
  return out;
}

/** The bundle's model XML (absolute, inside `dir`), or null when the bundle carries no model. */
export function bundleModelPath(dir: string, card: PolicyCard): string | null {
  const main = card.files.find((f) => f.role === MODEL_MAIN_ROLE);
  return main ? join(dir, ...main.path.split('/')) : null;
}

/**
 * The task a bundle replays on: its card's task, and for a custom robot the model folder the
 * bundle carries (never the path it was trained from, which exists only on that machine).
 * Evaluation and the viewer both build their env from this.
 */
export function bundleTaskConfig(dir: string, card: PolicyCard): Pick<RunConfig, 'task' | 'custom'> {
  const custom = (card.config as Partial<RunConfig>).custom;
  if (!custom) return { task: card.task.name };
  const model = bundleModelPath(dir, card);
  if (!model) throw new ExportError('bad-card', `the bundle in ${dir} was trained on a custom model but does not carry it (exported before model folders were bundled)`, CARD_FILE);
  return { task: card.task.name, custom: { ...custom, mjcfPath: model } };
}
