// A bound on how many of one kind of task run at once; the rest wait their turn, first come first
// served. For CPU-bound work handed to other threads (password hashes), where running more at once
// than there are cores adds memory and latency and no throughput.

export type Limited = <T>(task: () => Promise<T>) => Promise<T>

export function limitConcurrency (max: number): Limited {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`)
  let running = 0
  const waiting: Array<() => void> = []
  const release = (): void => {
    const next = waiting.shift()
    if (next !== undefined) next() // the slot passes straight to the next task
    else running -= 1
  }
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < max) running += 1
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      release()
    }
  }
}
