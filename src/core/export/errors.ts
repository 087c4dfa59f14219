// Every export/import failure the user can cause is an ExportError with a code a caller can
// switch on and a message naming the offending file or field.

export type ExportErrorCode =
  /** The snapshot is inconsistent (shapes, missing bounds, non-finite weights…). */
  | 'bad-snapshot'
  /** An observation of the wrong length was given to the reference forward. */
  | 'bad-observation'
  /** The card's meta (task spaces, steps…) does not fit the snapshot or is not serializable. */
  | 'bad-meta'
  /** An unknown export format was asked for. */
  | 'bad-format'
  /** A bundle file's bytes do not hash to the checksum recorded in the card. */
  | 'checksum-mismatch'
  /** A file the card lists (or the card itself) is absent. */
  | 'missing-file'
  /** policy-card.json is not valid JSON or lacks required fields. */
  | 'bad-card'
  /** The serialized snapshot file is malformed. */
  | 'bad-snapshot-file'
  /** Writing the bundle failed at the file-system level. */
  | 'io';

export class ExportError extends Error {
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    /** The bundle file concerned, when there is one (e.g. 'model.onnx'). */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/** UTF-8 JSON bytes that must hold an object; anything else goes to `fail` with the reason. */
export function parseJsonObject(bytes: Uint8Array, fail: (reason: string) => never): Record<string, unknown> {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    fail(`not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) fail('not a JSON object');
  return j as Record<string, unknown>;
}
