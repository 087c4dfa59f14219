// Which links the app opens in the user's browser (shell.openExternal). Only these documentation
// sites: a page that got script injected, or a link in an imported file, must not be able to
// open arbitrary URLs (phishing pages, custom-scheme handlers) through the app.
// Pure (no Electron import) so it is tested in plain Node.

export const EXTERNAL_HOSTS: readonly string[] = [
  'mujoco.readthedocs.io',
  'gymnasium.farama.org',
  'docs.cleanrl.dev',
  'rl-baselines3-zoo.readthedocs.io',
  'www.tensorflow.org',
  'onnx.ai',
];

/** True only for a plain https URL on one of EXTERNAL_HOSTS (no credentials, no port). */
export function isAllowedExternal(url: string): boolean {
  if (url.length > 2048) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.username === '' && u.password === '' && u.port === '' && EXTERNAL_HOSTS.includes(u.hostname);
}
