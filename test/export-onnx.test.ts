import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotAction, snapshotLogStd, snapshotMean } from '../src/core/export/forward.js';
import { ONNX_OPSET, snapshotToOnnx } from '../src/core/export/onnx.js';
import { modelProtoType } from '../src/core/export/onnx-proto.js';
import { ExportError } from '../src/core/export/errors.js';
import { argmaxDisagreements, exportCases, maxRelErr, randomObservations, randomSnapshot, reference } from './export-fixtures.js';

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

const N = 1000;
const TOL = 1e-5;

describe('ONNX export run by onnxruntime-web matches the reference forward', () => {
  for (const [name, s] of exportCases()) {
    it(name, async () => {
      const session = await ort.InferenceSession.create(snapshotToOnnx(s));
      expect(session.inputNames).toEqual(['obs']);
      const obs = randomObservations(100, N, s.obsDim);
      const ref = reference(s, obs, N, { action: snapshotAction, mean: snapshotMean, logStd: snapshotLogStd });
      const res = await session.run({ obs: new ort.Tensor('float32', obs, [N, s.obsDim]) });
      if (s.kind === 'categorical') {
        expect([...session.outputNames].sort()).toEqual(['action', 'logits']);
        expect(res.action.type).toBe('int64');
        expect(res.action.dims).toEqual([N, 1]);
        expect(maxRelErr(res.logits.data as Float32Array, ref.mean)).toBeLessThan(TOL);
        const got = Array.from(res.action.data as BigInt64Array, Number);
        expect(argmaxDisagreements(got, ref.mean, ref.action, s.actDim, TOL)).toBe(0);
        // More than one action is chosen, so the comparison is not trivially constant.
        expect(new Set(got).size).toBeGreaterThan(1);
      } else {
        expect([...session.outputNames].sort()).toEqual(['action', 'log_std']);
        expect(res.action.dims).toEqual([N, s.actDim]);
        expect(maxRelErr(res.action.data as Float32Array, ref.action)).toBeLessThan(TOL);
        expect(res.log_std.dims).toEqual([N, s.actDim]);
        expect(maxRelErr(res.log_std.data as Float32Array, ref.logStd)).toBeLessThan(TOL);
      }
      // The batch dimension is dynamic: one row works too.
      const one = await session.run({ obs: new ort.Tensor('float32', obs.slice(0, s.obsDim), [1, s.obsDim]) });
      expect(one.action.dims[0]).toBe(1);
      await session.release();
    });
  }
});

describe('ONNX model structure', () => {
  it('declares opset 17, a symbolic batch dimension, and normalization inside the graph', () => {
    const s = randomSnapshot(9, { squash: 'tanh' });
    const T = modelProtoType();
    const m = T.toObject(T.decode(snapshotToOnnx(s)), { longs: Number }) as {
      ir_version: number;
      opset_import: Array<{ version: number }>;
      graph: { input: Array<{ type: { tensor_type: { shape: { dim: Array<{ dim_param?: string; dim_value?: number }> } } } }>; node: Array<{ op_type: string }> };
    };
    expect(m.opset_import[0].version).toBe(ONNX_OPSET);
    expect(m.ir_version).toBe(8);
    const dims = m.graph.input[0].type.tensor_type.shape.dim;
    expect(dims[0].dim_param).toBe('batch');
    expect(dims[1].dim_value).toBe(s.obsDim);
    const ops = m.graph.node.map((n) => n.op_type);
    for (const op of ['Sub', 'Sqrt', 'Div', 'Clip', 'MatMul', 'Tanh', 'Expand']) expect(ops).toContain(op);
  });

  it('refuses an invalid snapshot with a typed error', () => {
    const s = { ...randomSnapshot(9), actDim: 2 };
    expect(() => snapshotToOnnx(s)).toThrow(ExportError);
  });
});
