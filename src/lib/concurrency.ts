// A bound on how many of one kind of task run at once; the rest wait their turn, first come first
// served. For CPU-bound work handed to other threads (password hashes), where running more at once
// than there are cores adds memory and latency and no throughput.

export type Limited = <T>(task: () => Promise<T>) => Promise<T>

/** Thrown at once, instead of waiting, when maxWaiting tasks already wait their turn. */
export class QueueFull extends Error {
  override name = 'QueueFull'
}

/**
 * At most `max` tasks at once, and at most `maxWaiting` waiting for a slot: a task past that is
 * refused with QueueFull rather than queued, so the wait stays bounded however many arrive.
 */
export function limitConcurrency (max: number, maxWaiting = Number.POSITIVE_INFINITY): Limited {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`)
  if (!(Number.isInteger(maxWaiting) || maxWaiting === Number.POSITIVE_INFINITY) || maxWaiting < 0) throw new RangeError(`maxWaiting must be a whole number, got ${maxWaiting}`)
  let running = 0
  const waiting: Array<() => void> = []
  const release = (): void => {
    const next = waiting.shift()
    if (next !== undefined) next() // the slot passes straight to the next task
    else running -= 1
  }
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < max) running += 1
    else if (waiting.length >= maxWaiting) throw new QueueFull(`${waiting.length} tasks are already waiting`)
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      release()
    }
  }
}
