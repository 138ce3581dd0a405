/** What a handler may return instead of a plain body: another status, headers, or no body at all. */
export class Reply<T = unknown> {
  constructor(
    readonly status: number,
    readonly body?: T,
    readonly headers: Record<string, string> = {},
  ) {}
}
