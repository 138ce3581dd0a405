/**
 * Runs at most `limit` tasks at once; the others wait their turn in arrival order rather than being refused.
 * Bounds work that is heavy per task (decoding and re-encoding images) so a burst queues instead of taking
 * every core and the memory of every decoded image at once.
 */
export function createWorkQueue(limit: number) {
  let active = 0;
  let peak = 0;
  let peakWaiting = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < limit) active += 1;
      else {
        // The slot is handed over by the task that finishes, so `active` stays as it is.
        await new Promise<void>((resolveTurn) => {
          waiting.push(resolveTurn);
          peakWaiting = Math.max(peakWaiting, waiting.length);
        });
      }
      peak = Math.max(peak, active);
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active -= 1;
      }
    },
    /** Tasks running and waiting now, and the most seen at once since start. */
    stats: () => ({ limit, active, waiting: waiting.length, peak, peakWaiting }),
  };
}

export type WorkQueue = ReturnType<typeof createWorkQueue>;
