// shell.openExternal is reached only for https links to a short list of documentation sites.
import { describe, expect, it } from 'vitest';
import { EXTERNAL_HOSTS, isAllowedExternal } from '../src/main/external-links.js';

describe('external links', () => {
  it('opens https pages of the allowed sites', () => {
    for (const h of EXTERNAL_HOSTS) expect(isAllowedExternal(`https://${h}/some/page?x=1#y`)).toBe(true);
  });
  it.each([
    'https://evil.example/', 'https://mujoco.readthedocs.io.evil.example/', 'https://evil.example/?https://onnx.ai/',
    'http://onnx.ai/', 'file:///etc/passwd', 'javascript:alert(1)', 'ms-settings:', 'smb://onnx.ai/share', 'https://user:pw@onnx.ai/',
    'https://onnx.ai:8443/', 'not a url', '', `https://onnx.ai/${'a'.repeat(3000)}`,
  ])('refuses %s', (url) => {
    expect(isAllowedExternal(url)).toBe(false);
  });
});
