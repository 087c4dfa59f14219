// policy-lab: the headless command line. Every command is a thin layer over src/core; training
// runs in a trainer child process speaking the same protocol as the desktop app.

import { resolve } from 'node:path';
import { packageChildren } from '../backend/built-children.js';
import { ALGOS } from '../core/algos/index.js';
import { ConfigError, fieldOf, parseFieldValue, type Schema } from '../core/config/schema.js';
import { TASKS } from '../core/envs/registry.js';
import type { RunConfig, TrainerToHost } from '../core/protocol.js';
import { isAlgoName, resolveRunConfig, RUN_SCHEMA } from '../core/runs/run-config.js';
import { checkExportTarget } from '../core/runs/export-target.js';
import { newRunDir, readConfig, RunError } from '../core/runs/store.js';
import { TrainerHost } from '../core/trainer/host.js';
import { camel, checkKnown, helpTable, kebab, parseArgs, UsageError } from './args.js';
import { formatDuration, progressLine } from './progress.js';
import { defaultPresetOf, ROBOT_FLAGS, robotOptionsFromFlags } from './robot.js';

const out = (s = '') => process.stdout.write(s + '\n');

const MAIN_HELP = `policy-lab — policy-gradient reinforcement learning on MuJoCo tasks

Usage: policy-lab <command> [options]

Commands:
  train     train an agent:   policy-lab train --task HalfCheetah --algo ppo --steps 1000000 --seed 1 --out runs/
  eval      evaluate a run:   policy-lab eval RUN_DIR --episodes 10 [--stochastic]
  export    export a policy:  policy-lab export RUN_DIR --format onnx|tfjs|all --out DIR
  serve     the lab in a browser (HTTP + WebSocket on 127.0.0.1 with a session token)
  tasks     list the tasks
  algos     list the algorithms (policy-lab algos ALGO: its hyperparameters)
  study     many seeds and variants: policy-lab study run STUDY.json | status DIR | report DIR
  variance  the policy-gradient estimate's variance per Φ_t: policy-lab variance RUN_DIR

Run policy-lab <command> --help for the options of a command.`;

/** Help rows of a schema's fields: the flag, its value form, its doc and default. */
function schemaRows(schema: Schema): [string, string][] {
  return Object.entries(schema).map(([k, f]) => {
    const form = f.kind === 'choice' ? f.choices.join('|') : f.kind === 'list' ? 'n,n,…' : f.kind === 'boolean' ? 'true|false' : f.integer ? 'int' : 'num';
    const def = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    return [`  --${kebab(k)} <${form}>`, `${f.doc} (default ${def})`];
  });
}

/** Run-level flags and the RUN_SCHEMA field each sets (the schema's doc is the flag's help). */
const RUN_FLAGS = { steps: 'totalSteps', seed: 'seed', backend: 'backend', 'checkpoint-every': 'checkpointEvery' } as const;

function trainHelp(algo?: string): string {
  // One table, so the fixed options, the robot flags and the schema's rows share one column.
  const rows: [string, string][] = [
    ['  --task <name>', 'task (policy-lab tasks), or use --mjcf'],
    ['  --mjcf <scene.xml|folder.zip> [--preset <walk|stand|reach|forward|upright>]', 'train on your own robot (its folder is read; policy-lab tasks --mjcf FILE)'],
    ...Object.entries(ROBOT_FLAGS).map(([f, o]): [string, string] => [`  --${f} <${f === 'keyframe' ? 'name' : f === 'command-range' ? 'lo:hi' : 'num'}>`, o.help]),
    [`  --algo <${Object.keys(ALGOS).join('|')}>`, 'algorithm'],
    ['  --out <dir>', 'where run directories are made (default runs/)'],
    ['  --resume <run_dir>', 'continue a run from its last checkpoint'],
    ['  --quiet', 'no progress bar'],
    ...Object.entries(RUN_FLAGS).flatMap(([flag, key]) => schemaRows({ [flag]: RUN_SCHEMA[key] })),
  ];
  const base = `Usage: policy-lab train --task TASK --algo ALGO [options] [hyperparameters]\n\nOptions:\n${helpTable(rows)}`;
  if (algo && isAlgoName(algo)) return `${base}\n\nHyperparameters of ${algo} (${ALGOS[algo].title}):\n${helpTable(schemaRows(ALGOS[algo].schema))}`;
  return `${base}\n\nAdd --algo ALGO to --help to list that algorithm's hyperparameters.`;
}

const TRAIN_FLAGS = ['task', 'mjcf', 'preset', 'algo', 'steps', 'seed', 'out', 'backend', 'checkpoint-every', 'resume', 'quiet', 'help', ...Object.keys(ROBOT_FLAGS)];

/** Reads hyperparameter flags (kebab-case schema fields) into an algoConfig object. */
function hyperparameters(flags: Map<string, string>, schema: Schema): Record<string, unknown> {
  const hp: Record<string, unknown> = {};
  for (const [name, raw] of flags) {
    if (TRAIN_FLAGS.includes(name)) continue;
    const key = camel(name);
    const field = fieldOf(schema, key);
    if (!field) throw new UsageError(`policy-lab train: unknown flag --${name} (not an option nor a hyperparameter of this algorithm; see policy-lab train --algo ALGO --help)`);
    hp[key] = parseFieldValue(field, raw, `--${name}`);
  }
  return hp;
}

function int(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n)) throw new UsageError(`--${name}: expected an integer, got "${v}"`);
  return n;
}

async function train(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, new Set(['quiet']));
  if (flags.has('help')) { out(trainHelp(flags.get('algo'))); return 0; }
  let config: RunConfig;
  let runDir: string;
  const resumeDir = flags.get('resume');
  if (resumeDir) {
    checkKnown(flags, ['resume', 'quiet', 'steps'], 'train');
    runDir = resolve(resumeDir);
    config = readConfig(runDir);
    const steps = int(flags, 'steps');
    if (steps !== undefined) config = { ...config, totalSteps: steps };
  } else {
    const algo = flags.get('algo');
    if (!algo) throw new UsageError('policy-lab train: --algo is required (see policy-lab algos)');
    if (!isAlgoName(algo)) throw new UsageError(`policy-lab train: unknown algorithm "${algo}" (known: ${Object.keys(ALGOS).join(', ')})`);
    const mjcf = flags.get('mjcf');
    if (!mjcf && !flags.get('task')) throw new UsageError('policy-lab train: --task is required (see policy-lab tasks), or --mjcf FILE --preset NAME');
    const robotFlag = Object.keys(ROBOT_FLAGS).find((f) => flags.has(f));
    if (!mjcf && robotFlag) throw new UsageError(`policy-lab train: --${robotFlag} applies to your own robot (--mjcf) only`);
    config = resolveRunConfig({
      task: flags.get('task'),
      algo,
      seed: int(flags, 'seed'),
      totalSteps: int(flags, 'steps'),
      backend: flags.get('backend'),
      checkpointEvery: int(flags, 'checkpoint-every'),
      custom: mjcf ? { mjcfPath: resolve(mjcf), preset: flags.get('preset') ?? (await defaultPresetOf(mjcf)), options: robotOptionsFromFlags(flags) } : undefined,
      algoConfig: hyperparameters(flags, ALGOS[algo].schema),
    });
    runDir = await newRunDir(resolve(flags.get('out') ?? 'runs'), config);
  }
  const quiet = flags.has('quiet') || !process.stderr.isTTY;
  out(`run: ${runDir}`);
  const host = TrainerHost.spawn(packageChildren()?.trainer);
  let recentReturn = NaN;
  let startStep = 0;
  const started = Date.now();
  let lastLog = 0;
  const done = new Promise<number>((resolveDone) => {
    host.onMessage((m: TrainerToHost) => {
      switch (m.type) {
        case 'started':
          startStep = m.startStep;
          out(`task ${m.spec.name} (obs ${m.spec.obsDim}, act ${m.spec.actDim}), algo ${config.algo}, backend ${m.backend}${m.gradientStep ? ` (gradient step: ${m.gradientStep})` : ''}, seed ${config.seed}${m.startStep ? `, resuming at step ${m.startStep}` : ''}`);
          break;
        case 'metrics': {
          if (Number.isFinite(m.row.returnMean)) recentReturn = m.row.returnMean;
          const line = progressLine(m.row, config.totalSteps, startStep, (Date.now() - started) / 1000, recentReturn);
          if (!quiet) process.stderr.write('\r' + line + '\x1b[K');
          else if (Date.now() - lastLog > 10_000) { lastLog = Date.now(); process.stderr.write(line + '\n'); }
          break;
        }
        case 'error':
          process.stderr.write(`\n${m.fatal ? 'error' : 'warning'}: ${m.message}\n`);
          break;
        case 'done':
          if (!quiet) process.stderr.write('\n');
          out(`${m.reason} at step ${m.steps} in ${formatDuration((Date.now() - started) / 1000)}${Number.isFinite(recentReturn) ? `; last mean return ${recentReturn.toFixed(1)}` : ''}`);
          host.kill();
          resolveDone(m.reason === 'failed' ? 1 : 0);
          break;
      }
    });
    host.onExit((code, signal) => {
      if (code !== 0 && code !== null) resolveDone(code);
      if (signal && signal !== 'SIGTERM') { process.stderr.write(`\ntrainer process died (${signal}); resume with: policy-lab train --resume ${runDir}\n`); resolveDone(1); }
    });
  });
  const onSig = () => { process.stderr.write('\nstopping (a checkpoint is written)…\n'); host.send({ type: 'stop' }); };
  process.once('SIGINT', onSig);
  host.send({ type: 'start', config, runDir, resume: Boolean(resumeDir) });
  return done;
}

async function evaluate(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, new Set(['stochastic', 'json']));
  if (flags.has('help')) {
    out(`Usage: policy-lab eval RUN_DIR [--episodes N] [--stochastic] [--json]

Evaluates the run's latest checkpoint: deterministic (the mean action) unless --stochastic.
  --episodes <int>   episodes to run (default 10)
  --stochastic       sample actions from the policy
  --json             print the result as JSON`);
    return 0;
  }
  checkKnown(flags, ['episodes', 'stochastic', 'json', 'help'], 'eval');
  if (positional.length !== 1) throw new UsageError('policy-lab eval: give exactly one RUN_DIR');
  const episodes = int(flags, 'episodes') ?? 10;
  if (episodes < 1 || episodes > 10_000) throw new UsageError('--episodes: expected 1 … 10000');
  const { evaluateRun } = await import('../core/trainer/evaluate.js');
  const { selectBackend } = await import('../core/rl/backend.js');
  const r = await evaluateRun(resolve(positional[0]), episodes, !flags.has('stochastic'));
  const rets = Array.from(r.returns);
  const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
  const std = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / rets.length);
  const backend = await selectBackend('auto').catch(() => 'unknown');
  if (flags.has('json')) out(JSON.stringify({ mean, std, returns: rets, lengths: Array.from(r.lengths), deterministic: !flags.has('stochastic'), backend }));
  else out(`${episodes} episodes (${flags.has('stochastic') ? 'stochastic' : 'deterministic'}): mean return ${mean.toFixed(2)} ± ${std.toFixed(2)}, min ${Math.min(...rets).toFixed(2)}, max ${Math.max(...rets).toFixed(2)}, mean length ${(Array.from(r.lengths).reduce((a, b) => a + b, 0) / episodes).toFixed(1)}`);
  return 0;
}

function tasks(argv: string[]): number | Promise<number> {
  const { flags } = parseArgs(argv, new Set(['json']));
  if (flags.has('help')) { out('Usage: policy-lab tasks [--json] [--mjcf FILE]\n\nLists the built-in tasks with their spaces; with --mjcf, what the lab derives from your robot\n(files, bodies, actuators, keyframes, tasks with their sizes, the task chosen).'); return 0; }
  checkKnown(flags, ['json', 'help', 'mjcf'], 'tasks');
  const mjcf = flags.get('mjcf');
  if (mjcf) return import('./robot.js').then((m) => m.robotSummaryCommand(mjcf, flags.has('json')));
  if (flags.has('json')) { out(JSON.stringify(TASKS, null, 2)); return 0; }
  out('task'.padEnd(26) + 'obs'.padStart(5) + 'act'.padStart(5) + '  skip  max steps  description');
  for (const t of TASKS) out(t.name.padEnd(26) + String(t.obsDim).padStart(5) + (t.actionKind === 'discrete' ? `${t.actDim}d` : String(t.actDim)).padStart(5) + String(t.frameSkip).padStart(6) + String(t.maxEpisodeSteps).padStart(11) + '  ' + t.description);
  return 0;
}

function algos(argv: string[]): number {
  const { positional, flags } = parseArgs(argv);
  if (flags.has('help')) { out('Usage: policy-lab algos [ALGO]\n\nLists the algorithms; with ALGO, its hyperparameters with defaults and docs.'); return 0; }
  checkKnown(flags, ['help'], 'algos');
  const name = positional[0];
  if (name) {
    if (!isAlgoName(name)) throw new UsageError(`unknown algorithm "${name}" (known: ${Object.keys(ALGOS).join(', ')})`);
    out(`${name}: ${ALGOS[name].title}\n${ALGOS[name].summary}\n\n${helpTable(schemaRows(ALGOS[name].schema))}`);
    return 0;
  }
  for (const a of Object.values(ALGOS)) out(a.name.padEnd(12) + a.title.padEnd(40) + a.summary);
  return 0;
}

async function exportCmd(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, new Set(['force']));
  if (flags.has('help')) {
    out(`Usage: policy-lab export RUN_DIR --format onnx|tfjs|all --out DIR

Writes the run's policy (observation normalization, network and action squashing inside the
model) as ONNX and/or a TensorFlow.js LayersModel, plus policy-card.json with checksums.
  --force   replace a bundle already in DIR (without it, such a DIR is refused)`);
    return 0;
  }
  checkKnown(flags, ['format', 'out', 'episodes', 'force', 'help'], 'export');
  if (positional.length !== 1) throw new UsageError('policy-lab export: give exactly one RUN_DIR');
  const format = flags.get('format') ?? 'all';
  if (!['onnx', 'tfjs', 'all'].includes(format)) throw new UsageError(`--format: expected onnx | tfjs | all, got "${format}"`);
  const outDir = flags.get('out');
  if (!outDir) throw new UsageError('policy-lab export: --out DIR is required');
  // Never over an existing bundle without --force, never into a run folder.
  checkExportTarget(resolve(outDir), { runDir: resolve(positional[0]), force: flags.has('force') });
  const { exportRun } = await import('../core/trainer/run-export.js');
  const res = await exportRun(resolve(positional[0]), format as 'onnx' | 'tfjs' | 'all', resolve(outDir), int(flags, 'episodes') ?? 10);
  out(`exported to ${res.dir}: ${res.files.join(', ')}`);
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  if (flags.has('help')) {
    out(`Usage: policy-lab serve [--port N] [--runs DIR]

Starts the lab's backend with HTTP + WebSocket on 127.0.0.1 and serves the app's page; open the
printed URL (it carries a per-session token; requests without it are refused).
  --port <int>   port (default 0: any free port)
  --runs <dir>   runs folder (default runs/)`);
    return 0;
  }
  checkKnown(flags, ['port', 'runs', 'help'], 'serve');
  const port = int(flags, 'port') ?? 0;
  if (port < 0 || port > 65535) throw new UsageError(`--port: expected 0 … 65535 (0: any free port), got ${port}`);
  const { startServe } = await import('../serve/server.js');
  const { ensureAppBuilt } = await import('../serve/renderer-build.js');
  const log = (line: string): void => { process.stderr.write(line + '\n'); };
  // Straight after `npm install` nothing is built, and after an edit the build is stale: build
  // first, so the page is current and the trainer the lab keeps ready starts from the build.
  await ensureAppBuilt(log);
  const s = await startServe({ host: '127.0.0.1', port, runsRoot: resolve(flags.get('runs') ?? 'runs') });
  if (s.children.from === 'source') log(`The engine runs from source through tsx (${s.children.reason}): Train answers more slowly; \`npm run build\` fixes that.`);
  out(`Policy Lab serving at ${s.url}`);
  await new Promise(() => {}); // until interrupted
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined: case 'help': case '--help': case '-h': out(MAIN_HELP); return cmd === undefined ? 1 : 0;
      case 'train': return await train(rest);
      case 'eval': return await evaluate(rest);
      case 'export': return await exportCmd(rest);
      case 'serve': return await serve(rest);
      case 'tasks': return await tasks(rest);
      case 'algos': return algos(rest);
      case 'study': return await (await import('./study.js')).studyCommand(rest);
      case 'variance': return await (await import('./study.js')).varianceCommand(rest);
      default: throw new UsageError(`unknown command "${cmd}"\n\n${MAIN_HELP}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof RunError || (e instanceof Error && /Error$/.test(e.name) && e.name !== 'Error')) {
      process.stderr.write(`policy-lab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
