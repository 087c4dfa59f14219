// The host side of the viewer process: a ChildHost (as the trainer's) forking child.ts or a built
// entry. Its owner (LabBackend's ViewerService) kills it on dispose.

import { fileURLToPath } from 'node:url';
import { ChildHost, forkChild, type TrainerSpawnOptions } from '../trainer/host.js';
import type { HostToViewer, ViewerToHost } from './messages.js';

export class ViewerProcess extends ChildHost<HostToViewer, ViewerToHost> {
  /** opts.entry: the built viewer entry (Electron); default this folder's child.ts through tsx. */
  static spawn(opts: TrainerSpawnOptions = {}): ViewerProcess {
    return new ViewerProcess(forkChild(fileURLToPath(new URL('./child.ts', import.meta.url)), opts));
  }
}
