// LabApi over the serve-mode WebSocket: binary messages (JSON header + raw typed arrays), so
// live poses arrive as Float32Array views without parsing.
import { requestMethods, type ApiErrorShape, type LabApi, type LabEvent, type LabMethod } from '../../backend/api.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../backend/wire.js';

export class LabRequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'LabRequestError';
  }
}

export function wsBridge(url: string, onConnectionLost: (why: string) => void): LabApi {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new LabRequestError('failed', 'cannot reach the Policy Lab server (is `policy-lab serve` still running?)')), { once: true });
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: LabEvent) => void>();
  let nextId = 1;

  ws.addEventListener('message', (ev: MessageEvent<ArrayBuffer>) => {
    const m = decodeMessage(ev.data) as ServerMessage;
    if (m.t === 'event') {
      for (const cb of listeners) cb(m.event);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(toError(m.error));
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new LabRequestError('failed', 'the connection to the server closed'));
    pending.clear();
    onConnectionLost('the connection to the Policy Lab server closed; restart `policy-lab serve` and reload');
  });

  async function call<T>(method: LabMethod, payload?: unknown): Promise<T> {
    await opened;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(encodeMessage({ t: 'req', id, method, payload: payload ?? null }));
    });
  }

  return {
    ...requestMethods(call),
    onEvent: (cb) => {
      listeners.add(cb);
      return () => void listeners.delete(cb);
    },
  };
}

function toError(e: ApiErrorShape): LabRequestError {
  return new LabRequestError(e.code, e.message);
}
