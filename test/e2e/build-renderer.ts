// Builds the renderer (as electron-vite would) for the browser tests, so `npm test` needs no
// separate build step. The same build serve mode runs on demand (src/serve/renderer-build.ts).
export { buildRenderer } from '../../src/serve/renderer-build.js';
