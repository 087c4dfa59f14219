// Placeholder until the integrator's entry lands: the built trainer child (out/main/trainer.js).
import '../core/trainer/child.js';
