// A database outage as the logs tell it: one warning when the first request meets it, one when the
// database answers again, with how long it lasted and how many 503s were answered meanwhile. Each
// 503 is expected while the database is down, so logging every one at error level with a stack
// buries whatever else happens during an outage.
import type { FastifyBaseLogger } from 'fastify'

export class OutageLog {
  readonly #log: FastifyBaseLogger
  readonly #databaseAnswers: () => Promise<boolean>
  readonly #pollMs: number
  #since: number | undefined
  #unavailable = 0
  #timer: NodeJS.Timeout | undefined

  /** `databaseAnswers` is polled every `pollMs` during an outage to see it end. */
  constructor (log: FastifyBaseLogger, databaseAnswers: () => Promise<boolean>, pollMs = 1000) {
    this.#log = log
    this.#databaseAnswers = databaseAnswers
    this.#pollMs = pollMs
  }

  /** The 503s answered since the current outage began (0 while the database answers). */
  get unavailableAnswers (): number {
    return this.#unavailable
  }

  /** One request answered 503 because the database is unreachable. */
  record (reason: string): void {
    this.#unavailable++
    if (this.#since !== undefined) return
    this.#since = Date.now()
    this.#log.warn({ reason }, 'the database is unreachable: answering 503 until it is back')
    this.#poll()
  }

  close (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #poll (): void {
    this.#timer = setTimeout(() => {
      void this.#databaseAnswers().then((answers) => answers ? this.#end() : this.#poll(), () => this.#poll())
    }, this.#pollMs)
    this.#timer.unref()
  }

  #end (): void {
    this.#log.warn({ outageMs: Date.now() - (this.#since ?? Date.now()), unavailableAnswers: this.#unavailable }, 'the database is reachable again')
    this.#since = undefined
    this.#unavailable = 0
    this.#timer = undefined
  }
}
