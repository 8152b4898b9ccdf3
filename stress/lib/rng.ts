/** mulberry32: a tiny seeded PRNG, so that a fuzz run can be repeated from its seed. */
export class Rng {
  constructor(private state: number) {}

  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** 0 … n-1 */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** min … max, inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  bool(p = 0.5): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Picks a value by weight: `[[weight, value], …]`. */
  weighted<T>(table: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [weight] of table) total += weight;
    let at = this.u32() % total;
    for (const [weight, value] of table) {
      if (at < weight) return value;
      at -= weight;
    }
    return table[table.length - 1][1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.u32(), i);
    for (; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** An independent generator seeded from this one. */
  fork(): Rng {
    return new Rng(this.u32());
  }
}
