import { BernoulliStream } from './kernels/bernoulli';

/** Everything a SeededRandom's future draws depend on (a replay checkpoint restores it). */
export interface RandomState {
  words: [number, number, number, number];
  spareNormal: number | undefined;
  /** The mask stream's 16 words, once masks were drawn. */
  masks: Uint32Array | undefined;
}

/** sfc32 seeded through splitmix32: small, fast, and the same stream on every platform. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;
  private masks: BernoulliStream | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * keep[i] = 1 with probability 1 - p, else 0, for i < n; returns how many were dropped. Masks come from their own
   * four-lane stream (kernels/bernoulli.ts), seeded from this one at the first draw, so a seed still fixes them all.
   */
  bernoulli(keep: Uint8Array, n: number, p: number): number {
    this.masks ??= new BernoulliStream(() => this.nextU32());
    return this.masks.draw(keep, n, p);
  }

  saveState(): RandomState {
    return {
      words: [this.a, this.b, this.c, this.d],
      spareNormal: this.spareNormal,
      masks: this.masks?.state.slice(),
    };
  }

  restoreState(state: RandomState): void {
    if (state.masks) {
      // Creating the stream draws its seed words from this one: the words are set after it.
      this.masks ??= new BernoulliStream(() => this.nextU32());
      this.masks.state.set(state.masks);
    } else this.masks = undefined;
    [this.a, this.b, this.c, this.d] = state.words;
    this.spareNormal = state.spareNormal;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher-Yates in place. */
  shuffle(array: Uint32Array | number[]): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i]!;
      array[i] = array[j]!;
      array[j] = t;
    }
  }
}
