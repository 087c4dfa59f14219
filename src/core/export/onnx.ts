// Writes a PolicySnapshot as an ONNX model (opset 17, IR 8) with our own protobuf encoder.
// Graph I/O:
//   input  "obs"     float32 [batch, obsDim]       raw observation (normalization is inside)
//   gaussian:
//     output "action"  float32 [batch, actDim]     deterministic action, squashed/clipped to bounds
//     output "log_std" float32 [batch, actDim]     log σ (state-independent vector broadcast, or head)
//   categorical:
//     output "action"  int64   [batch, 1]          argmax of the logits (first index on ties)
//     output "logits"  float32 [batch, actDim]
// The batch dimension is symbolic ("batch").

import type { DenseLayer, PolicySnapshot } from '../policy/snapshot.js';
import { modelProtoType, OnnxAttrType, OnnxDataType } from './onnx-proto.js';
import { validateSnapshot } from './validate.js';
import { POLICY_LAB_VERSION } from './version.js';

export const ONNX_OPSET = 17;
/** IR version 8 is the one paired with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

type Attr =
  | { name: string; type: typeof OnnxAttrType.FLOAT; f: number }
  | { name: string; type: typeof OnnxAttrType.INT; i: number };

interface Tensor {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** Little-endian bytes, as TensorProto.raw_data requires, independent of the host's order. */
function f32Bytes(a: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i], true);
  return out;
}

function i64Bytes(a: readonly number[]): Uint8Array {
  const out = new Uint8Array(a.length * 8);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setBigInt64(i * 8, BigInt(a[i]), true);
  return out;
}

/** Accumulates nodes and initializers with unique, readable value names. */
class GraphBuilder {
  readonly nodes: Array<{ input: string[]; output: string[]; name: string; op_type: string; attribute: Attr[] }> = [];
  readonly initializers: Tensor[] = [];
  private count = 0;

  constFloat(name: string, dims: number[], data: ArrayLike<number>): string {
    this.initializers.push({ name, dims, data_type: OnnxDataType.FLOAT, raw_data: f32Bytes(data) });
    return name;
  }

  constInt64(name: string, data: number[]): string {
    this.initializers.push({ name, dims: [data.length], data_type: OnnxDataType.INT64, raw_data: i64Bytes(data) });
    return name;
  }

  /** Adds one node; returns its output's name (`out` when given, else a generated one). */
  op(opType: string, inputs: string[], attrs: Attr[] = [], out?: string): string {
    const name = `${opType.toLowerCase()}_${this.count++}`;
    const output = out ?? `${name}_out`;
    this.nodes.push({ input: inputs, output: [output], name, op_type: opType, attribute: attrs });
    return output;
  }
}

function denseChain(g: GraphBuilder, x: string, layers: readonly DenseLayer[], prefix: string): string {
  layers.forEach((l, i) => {
    const w = g.constFloat(`${prefix}.${i}.kernel`, [l.inDim, l.outDim], l.w);
    const b = g.constFloat(`${prefix}.${i}.bias`, [l.outDim], l.b);
    x = g.op('Add', [g.op('MatMul', [x, w]), b]);
    if (l.activation === 'tanh') x = g.op('Tanh', [x]);
    else if (l.activation === 'relu') x = g.op('Relu', [x]);
    else if (l.activation === 'elu') x = g.op('Elu', [x], [{ name: 'alpha', type: OnnxAttrType.FLOAT, f: 1 }]);
  });
  return x;
}

function valueInfo(name: string, elemType: number, width: number) {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: [{ dim_param: 'batch' }, { dim_value: width }] } } },
  };
}

/** Serializes the snapshot as ONNX model bytes (throws ExportError('bad-snapshot') first if invalid). */
export function snapshotToOnnx(s: PolicySnapshot): Uint8Array {
  validateSnapshot(s);
  const g = new GraphBuilder();
  let x = 'obs';
  if (s.obsNorm) {
    const n = s.obsNorm;
    const mean = g.constFloat('obs_norm.mean', [s.obsDim], n.mean);
    const variance = g.constFloat('obs_norm.var', [s.obsDim], n.var);
    const eps = g.constFloat('obs_norm.eps', [], [n.eps]);
    const std = g.op('Sqrt', [g.op('Add', [variance, eps])]);
    x = g.op('Div', [g.op('Sub', [x, mean]), std]);
    if (Number.isFinite(n.clip)) {
      // Clip (opset ≥ 11) takes scalar bounds as inputs.
      x = g.op('Clip', [x, g.constFloat('obs_norm.clip_low', [], [-n.clip]), g.constFloat('obs_norm.clip_high', [], [n.clip])]);
    }
  }
  const trunk = denseChain(g, x, s.trunk, 'trunk');
  const mu = denseChain(g, trunk, s.meanHead, 'mean_head');

  const outputs = [];
  if (s.kind === 'categorical') {
    g.op('ArgMax', [mu], [{ name: 'axis', type: OnnxAttrType.INT, i: 1 }, { name: 'keepdims', type: OnnxAttrType.INT, i: 1 }], 'action');
    g.op('Identity', [mu], [], 'logits');
    outputs.push(valueInfo('action', OnnxDataType.INT64, 1), valueInfo('logits', OnnxDataType.FLOAT, s.actDim));
  } else {
    const lo = s.actionLow;
    const hi = s.actionHigh;
    if (s.squash === 'tanh' && lo && hi) {
      // low + (tanh μ + 1)·(high − low)/2, the same order of operations as the reference forward.
      const half = Float32Array.from(lo, (l, j) => (hi[j] - l) / 2);
      const t = g.op('Add', [g.op('Tanh', [mu]), g.constFloat('squash.one', [], [1])]);
      g.op('Add', [g.op('Mul', [t, g.constFloat('squash.half_range', [s.actDim], half)]), g.constFloat('squash.low', [s.actDim], lo)], [], 'action');
    } else if (s.squash === 'clip' && lo && hi) {
      // Per-dimension bounds: Clip only takes scalars, so Max then Min (±Infinity pass through).
      const m = g.op('Max', [mu, g.constFloat('clip.low', [s.actDim], lo)]);
      g.op('Min', [m, g.constFloat('clip.high', [s.actDim], hi)], [], 'action');
    } else {
      g.op('Identity', [mu], [], 'action');
    }
    if (s.logStd) {
      // Broadcast the [1, actDim] row to [batch, actDim]: Expand to shape (batch, actDim).
      const batch = g.op('Shape', ['obs'], [{ name: 'start', type: OnnxAttrType.INT, i: 0 }, { name: 'end', type: OnnxAttrType.INT, i: 1 }]);
      const shape = g.op('Concat', [batch, g.constInt64('log_std.width', [s.actDim])], [{ name: 'axis', type: OnnxAttrType.INT, i: 0 }]);
      g.op('Expand', [g.constFloat('log_std.value', [1, s.actDim], s.logStd), shape], [], 'log_std');
    } else {
      const ls = denseChain(g, trunk, s.logStdHead ?? [], 'log_std_head');
      if (s.logStdRange) {
        const [lo, hi] = s.logStdRange;
        g.op('Clip', [ls, g.constFloat('log_std.min', [], [lo]), g.constFloat('log_std.max', [], [hi])], [], 'log_std');
      } else g.op('Identity', [ls], [], 'log_std');
    }
    outputs.push(valueInfo('action', OnnxDataType.FLOAT, s.actDim), valueInfo('log_std', OnnxDataType.FLOAT, s.actDim));
  }

  const T = modelProtoType();
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'policy-lab',
    producer_version: POLICY_LAB_VERSION,
    model_version: 1,
    doc_string: `Policy Lab ${s.kind} policy: obs [batch, ${s.obsDim}] -> action` +
      (s.kind === 'categorical' ? ' (int64 argmax) and logits' : ` (squash: ${s.squash}) and log_std`),
    graph: {
      name: 'policy',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('obs', OnnxDataType.FLOAT, s.obsDim)],
      output: outputs,
    },
    metadata_props: [
      { key: 'policy_lab.kind', value: s.kind },
      { key: 'policy_lab.obs_dim', value: String(s.obsDim) },
      { key: 'policy_lab.act_dim', value: String(s.actDim) },
      { key: 'policy_lab.squash', value: s.squash },
    ],
  };
  const err = T.verify(model);
  if (err) throw new Error(`internal: ONNX model does not fit the proto descriptor: ${err}`);
  return T.encode(T.fromObject(model)).finish();
}
