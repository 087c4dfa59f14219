// Where the lab keeps the custom models its runs use: <runs>/models/<sha of the files>/, a copy of
// exactly the files the model references (the XML, its includes, meshes, textures). A run's
// config points at the copy, so resume, evaluation and export work even after the user edits or
// moves the original folder. The renderer never reads files: it sends MJCF text, the path of an
// XML on this machine (the backend reads its folder), or a zip of the folder.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadModelFolder, loadModelZip, modelFromXml, type ModelFolder } from '../core/envs/model-folder.js';
import { EnvError } from '../core/envs/types.js';
import { LabError, type CustomModel } from './api.js';

export const MODELS_DIR = 'models';

/** Reads the model the request names; a model problem is LabError('invalid') naming the file. */
export function readRequestedModel(model: CustomModel): ModelFolder {
  try {
    if (model.path !== undefined) return loadModelFolder(model.path);
    if (model.zip !== undefined) return loadModelZip(model.zip, undefined, model.name);
    if (model.content !== undefined) return modelFromXml(model.content);
  } catch (e) {
    if (e instanceof EnvError) throw new LabError('invalid', e.message);
    throw e;
  }
  throw new LabError('invalid', 'start.custom: give the model as content (MJCF text), path (an XML file on this machine) or zip (a zipped model folder)');
}

/** Content hash over paths and bytes: the same model folder lands in the same place. */
function folderHash(f: ModelFolder): string {
  const h = createHash('sha256');
  h.update(f.main + '\0');
  for (const [rel, bytes] of [...f.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(rel + '\0' + bytes.length + '\0');
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Copies the model's files under runsRoot/models/<hash>/ (atomically: assembled in a temp folder
 * and renamed) and returns the path of its main XML there.
 */
export async function storeModel(runsRoot: string, folder: ModelFolder): Promise<string> {
  const root = path.join(runsRoot, MODELS_DIR);
  const dest = path.join(root, folderHash(folder));
  const main = path.join(dest, ...folder.main.split('/'));
  if (existsSync(main)) return main;
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const [rel, bytes] of folder.files) {
      const to = path.join(tmp, ...rel.split('/'));
      await mkdir(path.dirname(to), { recursive: true });
      await writeFile(to, bytes);
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    // Another start stored the same model meanwhile: theirs is identical.
    if (existsSync(main)) return main;
    throw new LabError('failed', `storing the model under ${root} failed: ${(e as Error).message}`);
  }
  return main;
}

/** The request's model, read, checked and stored: the mjcfPath for the run's config. */
export async function storeRequestedModel(runsRoot: string, model: CustomModel): Promise<string> {
  return storeModel(runsRoot, readRequestedModel(model));
}
