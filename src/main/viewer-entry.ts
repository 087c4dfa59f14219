// The real-time viewer's process in the desktop app (built to out/main/viewer.js and forked by
// main with Electron's node mode). Task models come from the same asset folder as the trainer's.
import { setUpBuiltChild } from './built-child-setup.js';

setUpBuiltChild(import.meta.url);
await import('../core/viewer/child.js');
