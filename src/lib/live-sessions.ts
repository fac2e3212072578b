// Sessions this instance has seen alive in the database, so that an authenticated request need not
// ask again: by session id and owner (a session answers only for its own account), until the
// session expires or maxAgeMs has passed, whichever is first.
// Every ended session must be forgotten here, on every instance (plugins/sessions.ts tells them
// through Redis); `epoch` keeps a lookup that raced with an ending from remembering the dead session.
import { BoundedMap } from './bounded-map.js'

export class LiveSessions {
  #entries: BoundedMap<string, { owner: string, until: number }> // by session id; until: ms since the epoch
  #epoch = 0

  constructor (readonly maxEntries = 10_000, readonly maxAgeMs = 60_000) {
    this.#entries = new BoundedMap(maxEntries)
  }

  /** Changes whenever a session is forgotten: take it before asking the database, hand it to remember. */
  get epoch (): number { return this.#epoch }

  /** True when the session was seen alive, as `owner`'s, and may still be taken as such. */
  has (id: string, owner: string, now = Date.now()): boolean {
    const entry = this.#entries.get(id)
    if (entry === undefined || entry.owner !== owner) return false
    if (now < entry.until) return true
    this.#entries.delete(id)
    return false
  }

  /**
   * Remembers a session the database has just said is alive until `until`, unless a session was
   * forgotten since `epoch` was taken: that may have been this one, ended after the database answered.
   */
  remember (id: string, owner: string, until: number, epoch: number, now = Date.now()): void {
    if (epoch !== this.#epoch) return
    this.#entries.set(id, { owner, until: Math.min(until, now + this.maxAgeMs) })
  }

  forget (ids: Iterable<string>): void {
    this.#epoch++
    for (const id of ids) this.#entries.delete(id)
  }

  /** Forgets everything: endings may have been missed (the channel that carries them was down). */
  clear (): void {
    this.#epoch++
    this.#entries = new BoundedMap(this.maxEntries)
  }
}
