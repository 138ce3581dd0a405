/**
 * Polls `check` until it answers something other than `undefined` or `false`, and resolves with that; fails
 * naming `what` once `timeoutMs` has passed. For what happens on its own time: a worker's job, an email, a notification
 * heard on another connection.
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 25_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((settle) => setTimeout(settle, options.everyMs ?? 100));
  }
}
