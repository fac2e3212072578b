// A Map with a size limit, for the in-process memories of hot paths (cached answers, validated URLs,
// verified tokens, accounts known to exist): past the limit, the entry set or used longest ago goes first.
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>()
  /** The key set or used last: using it again moves nothing (a hot path's one hot key, every time). */
  #newest: K | undefined

  constructor (readonly maxEntries: number) {}

  get size (): number { return this.#entries.size }

  get (key: K): V | undefined {
    return this.#entries.get(key)
  }

  /** get, and the entry counts as just used: it is the last to be evicted. */
  use (key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined && key !== this.#newest) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
      this.#newest = key
    }
    return value
  }

  set (key: K, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    this.#newest = key
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as K)
  }

  delete (key: K): void {
    this.#entries.delete(key)
  }
}
