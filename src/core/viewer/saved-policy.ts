// A saved policy for the viewer: a run's latest checkpoint (rebuilt with the algorithm that
// trained it, then snapshotted) or an imported bundle (checksums verified). Loaded lazily: the
// viewer process only pulls in TF.js when it is asked to play a checkpoint.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ViewerPolicy, ViewerSource } from './messages.js';

/** core/export's card file: its presence marks a bundle folder. */
const CARD_FILE = 'policy-card.json';

export async function loadSavedPolicy(dir: string): Promise<{ source: ViewerSource; policy: ViewerPolicy }> {
  const { envSourceOf } = await import('../trainer/env-factory.js');
  if (existsSync(join(dir, CARD_FILE))) {
    const { importBundle } = await import('../export/bundle.js');
    const { bundleTaskConfig } = await import('../export/model-files.js');
    const { card, snapshot } = await importBundle(dir);
    return {
      // A custom robot plays on the model folder the bundle carries.
      source: { env: envSourceOf(bundleTaskConfig(dir, card)), seed: card.seed, label: `${basename(dir)} (bundle)` },
      policy: { snapshot, update: -1, steps: card.trainingSteps },
    };
  }
  const { loadRunAlgorithm } = await import('../trainer/evaluate.js');
  const { readCheckpoint } = await import('../runs/checkpoint.js');
  const { runFiles } = await import('../runs/store.js');
  const { config, algo } = await loadRunAlgorithm(dir);
  try {
    const update = readCheckpoint(runFiles.checkpoint(dir)).trainer.update;
    return {
      source: { env: envSourceOf(config), seed: config.seed, label: `${basename(dir)} (checkpoint)` },
      policy: { snapshot: algo.snapshot(), update, steps: algo.steps },
    };
  } finally {
    await algo.dispose();
  }
}
