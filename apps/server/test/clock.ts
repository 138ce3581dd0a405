import type { Clock } from "../src/clock.js";

/** A clock the test moves forward by hand, to reach expiry times without waiting. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
