// The Policy Lab version recorded in exported models and cards (bundlers inline the JSON).
import pkg from '../../../package.json' with { type: 'json' };

export const POLICY_LAB_VERSION: string = pkg.version;
