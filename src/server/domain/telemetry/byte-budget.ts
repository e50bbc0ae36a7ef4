/**
 * The rollups' byte budget (`NEXUS_TELEMETRY_MAX_BYTES`): every allocation the rollups make
 * (slabs of blocks, series table columns, per-agent and per-series bookkeeping) reserves its
 * bytes here first, and gives them back when it is released.
 */
export class ByteBudget {
  #usedBytes = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Reserves `bytes` when they fit; false (nothing reserved) when they do not. */
  tryReserve(bytes: number): boolean {
    if (this.#usedBytes + bytes > this.maxBytes) return false;
    this.#usedBytes += bytes;
    return true;
  }

  /** Reserves `bytes` whether they fit or not (bookkeeping that cannot be refused, e.g. a table's first rows). */
  reserve(bytes: number): void {
    this.#usedBytes += bytes;
  }

  release(bytes: number): void {
    this.#usedBytes = Math.max(0, this.#usedBytes - bytes);
  }
}
