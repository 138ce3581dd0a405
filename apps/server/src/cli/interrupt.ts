/**
 * Ctrl-C or SIGTERM on a command-line tool must not orphan what it started (an embedded PostgreSQL runs in
 * a session of its own, so the terminal's signal never reaches it). Installed at a tool's first line: on a
 * signal, resources being acquired are waited for, everything held is released, and the tool exits with
 * 128 + the signal's number.
 */
export interface InterruptGuard {
  /** Tracks a resource from the moment its acquisition starts; `release` runs on a signal. */
  hold<T>(acquiring: Promise<T>, release: (resource: T) => Promise<void>): Promise<T>;
}

export function guardInterrupts(): InterruptGuard {
  const held: Promise<(() => Promise<void>) | undefined>[] = [];
  let interrupted = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`Interrupted (${signal}); releasing what was started\n`);
    for (const release of (await Promise.all(held)).reverse()) await release?.().catch(() => {});
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    hold(acquiring, release) {
      held.push(
        acquiring.then(
          (resource) => () => release(resource),
          () => undefined,
        ),
      );
      return acquiring;
    },
  };
}
