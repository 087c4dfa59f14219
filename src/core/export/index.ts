// Public surface of policy export (see bundle.ts for the entry point).
export { exportBundle, exportFormats, importBundle, parseExportFormat, type ExportFormat, type ExportResult } from './bundle.js';
export type { PolicyCard, PolicyCardMeta } from './card.js';
export { ExportError, type ExportErrorCode } from './errors.js';
export { snapshotAction, snapshotLogStd, snapshotMean } from './forward.js';
export { snapshotToOnnx } from './onnx.js';
export { snapshotToTfjs, tfjsDirLoader } from './tfjs.js';
