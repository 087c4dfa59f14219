// LabApi over Electron IPC: the preload exposes exactly this object as window.policyLab.
import type { LabApi } from '../../backend/api.js';

declare global {
  interface Window { policyLab?: LabApi }
}

export function ipcBridge(): LabApi | null {
  return window.policyLab ?? null;
}
