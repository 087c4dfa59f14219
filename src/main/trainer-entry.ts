// The trainer child of the desktop app (built to out/main/trainer.js and forked by main with
// Electron's node mode).
import { setUpBuiltChild } from './built-child-setup.js';

setUpBuiltChild(import.meta.url);
await import('../core/trainer/child.js');
