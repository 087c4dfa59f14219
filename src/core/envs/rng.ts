// The envs' own seeded generator (sfc32): reset noise only. Its whole state is four uint32s, so
// it fits into Env.getState() as exact float64 values and a checkpoint resumes the same stream.

export const ENV_RNG_STATE_SIZE = 4;

export class EnvRng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Reseeds from any number (integer part, modulo 2^32); nearby seeds give unrelated streams. */
  seed(seed: number): void {
    const s = Math.floor(Math.abs(seed)) >>> 0;
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = s;
    // Discard the first outputs: sfc32 needs a few rounds to mix a small seed in.
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal by Box–Muller; no cached spare, so the state stays four integers. */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  writeState(out: Float64Array, offset: number): void {
    out[offset] = this.a;
    out[offset + 1] = this.b;
    out[offset + 2] = this.c;
    out[offset + 3] = this.d;
  }

  readState(src: Float64Array, offset: number): void {
    this.a = src[offset] >>> 0;
    this.b = src[offset + 1] >>> 0;
    this.c = src[offset + 2] >>> 0;
    this.d = src[offset + 3] >>> 0;
  }
}
