// A request's child logger that pino builds only when the request first writes a line. pino's child()
// serializes its bindings through the redaction paths at once: 2-4 % of a cheap request's CPU,
// spent on every request even at `warn`, where almost none of them log anything.
import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Write = (this: FastifyBaseLogger, ...args: unknown[]) => void

export class LazyChildLogger {
  #child: FastifyBaseLogger | undefined

  constructor (private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings) {}

  #logger (): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings)
    return this.#child
  }

  #write (level: Level, args: unknown[]): void {
    // pino points every disabled level at the same no-op as `silent`, so this follows the parent's
    // level even when it changes after the request began.
    if (this.parent[level] === this.parent.silent) return
    const logger = this.#logger()
    ;(logger[level] as Write).apply(logger, args)
  }

  get level (): string { return (this.#child ?? this.parent).level }
  set level (level: string) { this.#logger().level = level }

  fatal (...args: unknown[]): void { this.#write('fatal', args) }
  error (...args: unknown[]): void { this.#write('error', args) }
  warn (...args: unknown[]): void { this.#write('warn', args) }
  info (...args: unknown[]): void { this.#write('info', args) }
  debug (...args: unknown[]): void { this.#write('debug', args) }
  trace (...args: unknown[]): void { this.#write('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options)
  }
}

/** Fastify's childLoggerFactory: lazy unless the route sets its own level or serializers. */
export function lazyChildLoggerFactory (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options)
  return new LazyChildLogger(logger, bindings) as unknown as FastifyBaseLogger
}
