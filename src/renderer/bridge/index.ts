// The renderer talks to a LabApi and does not know which transport is behind it.
import type { LabApi } from '../../backend/api.js';
import { ipcBridge } from './ipc.js';
import { wsBridge } from './ws.js';

export function connectLab(onConnectionLost: (why: string) => void): LabApi {
  const ipc = ipcBridge();
  if (ipc) return ipc;
  // Serve mode: the page came with ?token=…; the WS upgrade carries it (the cookie does too).
  const token = new URLSearchParams(location.search).get('token') ?? '';
  // Keep the secret out of the address bar and history; reloads authenticate by the cookie.
  if (token) history.replaceState(null, '', location.pathname);
  const url = `ws://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return wsBridge(url, onConnectionLost);
}
