// A study's trial process in the desktop app (built to out/main/study-trial.js and forked by the
// studies' local executor with Electron's node mode).
import { setUpBuiltChild } from './built-child-setup.js';

setUpBuiltChild(import.meta.url);
const { trialChildMain } = await import('../core/studies/trial-child.js');
trialChildMain();
