import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Action,
  type Actor,
  actions,
  type BookingStatus,
  bookingStatuses,
  decide,
  terminalStatuses,
  transitions,
} from "./bookings.machine.js";
import { cancellationRefund } from "./bookings.policy.js";

const actors: Actor[] = ["customer", "contractor", "admin", "system"];

describe("the booking state machine", () => {
  it("has the API's transitions and terminal states", () => {
    expect(terminalStatuses).toEqual(["declined", "expired", "refunded", "partially_refunded", "cancelled"]);
    expect(decide("accept", "contractor", "requested")).toMatchObject({ ok: true, to: "accepted" });
    expect(decide("accept", "customer", "requested")).toEqual({ ok: false, reason: "forbidden" });
    expect(decide("confirm", "customer", "funded")).toEqual({ ok: false, reason: "invalid_transition" });
    expect(decide("cancel", "customer", "funded")).toMatchObject({
      ok: true,
      to: "cancelled",
      effects: ["refundPolicy"],
    });
  });

  it("never reaches a state outside the table, and terminal states stay terminal", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...actions), fc.constantFrom(...actors)), { maxLength: 40 }),
        (steps) => {
          let status: BookingStatus = "requested";
          let ended = false;
          for (const [action, actor] of steps) {
            const decision = decide(action, actor, status);
            if (ended) expect(decision.ok).toBe(false);
            if (!decision.ok) continue;
            const transition = transitions[action as Action];
            expect(transition.from as readonly string[]).toContain(status);
            expect(transition.by as readonly string[]).toContain(actor);
            expect(bookingStatuses).toContain(decision.to);
            status = decision.to;
            ended = terminalStatuses.includes(status);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("the cancellation policy's money", () => {
  const policy = fc.record({
    fullRefundNoticeSeconds: fc.integer({ min: 1, max: 30 * 86_400 }),
    lateRefundBps: fc.integer({ min: 0, max: 10_000 }),
  });
  const price = fc.integer({ min: 1, max: 100_000_000 });
  const start = new Date("2027-01-01T09:00:00Z");

  it("refunds a whole amount between nothing and the price, never more", () => {
    fc.assert(
      fc.property(
        policy,
        price,
        fc.constantFrom("customer" as const, "contractor" as const),
        fc.integer({ min: -10 * 86_400, max: 40 * 86_400 }),
        (rules, amount, by, noticeSeconds) => {
          const refund = cancellationRefund(rules, {
            by,
            funded: true,
            price: amount,
            scheduledStart: start,
            now: new Date(start.getTime() - noticeSeconds * 1000),
          });
          expect(Number.isInteger(refund)).toBe(true);
          expect(refund).toBeGreaterThanOrEqual(0);
          expect(refund).toBeLessThanOrEqual(amount);
          if (by === "contractor" || noticeSeconds > rules.fullRefundNoticeSeconds)
            expect(refund).toBe(amount);
          else expect(refund).toBe(Math.floor((amount * rules.lateRefundBps) / 10_000));
        },
      ),
    );
  });

  it("owes nothing back for a booking that was never paid", () => {
    fc.assert(
      fc.property(policy, price, (rules, amount) => {
        expect(
          cancellationRefund(rules, {
            by: "customer",
            funded: false,
            price: amount,
            scheduledStart: start,
            now: start,
          }),
        ).toBeNull();
      }),
    );
  });

  it("rounds the late share down to the minor unit, exactly at the notice boundary too", () => {
    const rules = { fullRefundNoticeSeconds: 86_400, lateRefundBps: 3333 };
    const at = (seconds: number) => new Date(start.getTime() - seconds * 1000);
    const cancel = (seconds: number) =>
      cancellationRefund(rules, {
        by: "customer",
        funded: true,
        price: 999,
        scheduledStart: start,
        now: at(seconds),
      });
    expect(cancel(86_401)).toBe(999);
    expect(cancel(86_400)).toBe(332);
    expect(cancel(0)).toBe(332);
    expect(
      cancellationRefund(rules, {
        by: "customer",
        funded: true,
        price: 100_000_000,
        scheduledStart: start,
        now: start,
      }),
    ).toBe(33_330_000);
  });
});
