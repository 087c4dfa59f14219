import tseslint from 'typescript-eslint';

// The path tells where code runs: src/core is plain Node/worker/CLI code and never reaches
// for Electron, the DOM or three.js; the renderer never reaches for Node or the engine's runtime.
export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'bench/results/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'src/core runs without Electron.' },
          { name: 'three', message: 'src/core never draws; three.js belongs in src/renderer.' },
        ],
        patterns: [
          { group: ['three/*'], message: 'src/core never draws.' },
          { group: ['**/renderer/**', '**/main/**', '**/preload/**'], message: 'src/core may not import app layers.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
  {
    files: ['src/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer talks to main only through the preload bridge.' }],
        patterns: [
          { group: ['node:*'], message: 'The renderer is sandboxed: no Node modules.' },
          { group: ['@tensorflow/*', 'mujoco-js'], message: 'The renderer only draws; the engine runs in trainer processes.' },
        ],
      }],
    },
  },
);
