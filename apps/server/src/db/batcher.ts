/**
 * Gathers work that arrives while a batch is in flight into the next batch, so N concurrent callers cost one
 * statement (one round trip) instead of N queued one behind another. A lone caller goes at once: it waits for
 * no timer, only for the batch already in flight, if any. Batches run one at a time, in arrival order.
 *
 * `run` answers each item of its batch, in order, as a settled result (an item may fail alone); if it throws,
 * every item of that batch is rejected with its error and the next batch still runs. `accepts` may refuse an
 * item into the batch being gathered (it then opens the next one), e.g. to keep a batch's items distinct.
 * Work runs in the async context of the caller that started the batch: callers that depend on their own
 * context (an open transaction, a request's headers) must not be batched.
 */
export function createBatcher<In, Out>(
  run: (items: In[]) => Promise<PromiseSettledResult<Out>[]>,
  options: { accepts?: (batch: readonly In[], item: In) => boolean; maxSize?: number } = {},
) {
  interface Pending {
    item: In;
    resolve: (value: Out) => void;
    reject: (error: unknown) => void;
  }
  const maxSize = options.maxSize ?? 500;
  let queue: Pending[] = [];
  let inFlight: Promise<void> | undefined;

  const next = (): Pending[] => {
    const items: In[] = [];
    let size = 0;
    while (size < queue.length && size < maxSize) {
      const { item } = queue[size] as Pending;
      if (size > 0 && options.accepts && !options.accepts(items, item)) break;
      items.push(item);
      size += 1;
    }
    const batch = queue.slice(0, size);
    queue = queue.slice(size);
    return batch;
  };

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = next();
      try {
        const results = await run(batch.map((pending) => pending.item));
        batch.forEach((pending, index) => {
          const result = results[index];
          if (result?.status === "fulfilled") pending.resolve(result.value);
          else pending.reject(result ? result.reason : new Error("the batch gave this item no answer"));
        });
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    inFlight = undefined;
  };

  const add = (item: In): Promise<Out> =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      inFlight ??= flush();
    });
  return Object.assign(add, {
    /** Resolves once every item added so far is answered. */
    drain: async (): Promise<void> => {
      await inFlight;
    },
  });
}

/** Settles `work` as `Promise.allSettled` would settle one promise. */
export async function settle<T>(work: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  try {
    return { status: "fulfilled", value: await work() };
  } catch (reason) {
    return { status: "rejected", reason };
  }
}
