// "Open model…": turns the file the user picked into the start request's model. The page never
// reads a model folder itself: in the desktop app it hands the backend the XML's path (the
// backend reads the folder with its includes, meshes and textures); in a browser (serve mode),
// where pages get no paths, it sends a zipped folder's bytes, or a single self-contained XML as text.
import type { CustomModel } from '../../backend/api.js';
import type { CustomTaskOptions } from '../../core/envs/custom.js';

export type PickedModel = Omit<CustomModel, 'preset'>;

/** Largest file the page sends itself (the serve-mode WebSocket limit is near this). */
export const MAX_PICKED_BYTES = 8 * 1024 * 1024;

/** The task options the form sets (empty fields keep the defaults: command 0.5 m/s, keyframe 'home'). */
export function robotOptionsOf(command: HTMLInputElement, keyframe: HTMLInputElement): { options?: CustomTaskOptions } {
  const options: { command?: number; keyframe?: string } = {};
  if (command.value.trim() !== '' && Number.isFinite(Number(command.value))) options.command = Number(command.value);
  if (keyframe.value.trim() !== '') options.keyframe = keyframe.value.trim();
  return Object.keys(options).length > 0 ? { options } : {};
}

interface FileBridge {
  /** Electron's webUtils.getPathForFile, exposed by the preload; absent in a browser. */
  pathForFile(file: File): string;
}

export async function pickedModel(file: File): Promise<PickedModel | { problem: string }> {
  const bridge = (window as unknown as { policyLabFiles?: FileBridge }).policyLabFiles;
  const path = bridge?.pathForFile(file) ?? '';
  if (path) return { name: file.name, path };
  if (file.size > MAX_PICKED_BYTES) return { problem: `${file.name} is larger than ${MAX_PICKED_BYTES / 1024 / 1024} MB; in a browser, zip only the model's folder (or use the desktop app, which reads the folder itself).` };
  if (/\.zip$/i.test(file.name)) return { name: file.name, zip: new Uint8Array(await file.arrayBuffer()) };
  return { name: file.name, content: await file.text() };
}
