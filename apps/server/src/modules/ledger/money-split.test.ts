import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commissionFor, splitRefund } from "./money-split.js";

const price = fc.integer({ min: 1, max: 100_000_000 });
const rate = fc.record({
  rateBps: fc.integer({ min: 0, max: 10_000 }),
  fixedFee: fc.integer({ min: 0, max: 10_000 }),
});

describe("commissionFor", () => {
  it("rounds the percentage half up, adds the fixed fee and caps at the price", () => {
    // 12.5 % of 1,001 is 125.125 → 125; of 1,004 is 125.5 → 126 (half up).
    expect(commissionFor(1_001, { rateBps: 1_250, fixedFee: 0 })).toBe(125);
    expect(commissionFor(1_004, { rateBps: 1_250, fixedFee: 0 })).toBe(126);
    expect(commissionFor(12_500, { rateBps: 1_000, fixedFee: 30 })).toBe(1_280);
    // A fee larger than a small job's price takes the whole price, never more.
    expect(commissionFor(50, { rateBps: 1_000, fixedFee: 100 })).toBe(50);
    expect(commissionFor(100_000_000, { rateBps: 10_000, fixedFee: 0 })).toBe(100_000_000);
    expect(commissionFor(7, { rateBps: 0, fixedFee: 0 })).toBe(0);
  });

  it("refuses fractions, negatives and rates above 100 %", () => {
    expect(() => commissionFor(10.5, { rateBps: 100, fixedFee: 0 })).toThrow(RangeError);
    expect(() => commissionFor(1_000, { rateBps: -1, fixedFee: 0 })).toThrow(RangeError);
    expect(() => commissionFor(1_000, { rateBps: 10_001, fixedFee: 0 })).toThrow(RangeError);
    expect(() => commissionFor(1_000, { rateBps: 100, fixedFee: -5 })).toThrow(RangeError);
  });

  it("is the exact half-up share plus the fee, within [0, price]", () => {
    fc.assert(
      fc.property(price, rate, (p, r) => {
        const commission = commissionFor(p, r);
        expect(Number.isSafeInteger(commission)).toBe(true);
        expect(commission).toBeGreaterThanOrEqual(0);
        expect(commission).toBeLessThanOrEqual(p);
        // Exact rational reference: |p·bps/10000 − share| ≤ 1/2, ties going up.
        const share = BigInt(commission - r.fixedFee);
        if (commission < p) {
          const scaled = BigInt(p) * BigInt(r.rateBps);
          expect(share * 10_000n - scaled).toBeLessThanOrEqual(5_000n);
          expect(scaled - share * 10_000n).toBeLessThan(5_000n);
        }
      }),
    );
  });

  it("never falls when the rate, the fee or the price rises", () => {
    fc.assert(
      fc.property(
        price,
        rate,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000 }),
        (p, r, bps, more) => {
          const higher = { rateBps: Math.max(r.rateBps, bps), fixedFee: r.fixedFee };
          expect(commissionFor(p, higher)).toBeGreaterThanOrEqual(commissionFor(p, r));
          expect(commissionFor(p, { ...r, fixedFee: r.fixedFee + more })).toBeGreaterThanOrEqual(
            commissionFor(p, r),
          );
          expect(commissionFor(Math.min(p + more, 100_000_000), r)).toBeGreaterThanOrEqual(
            commissionFor(p, r),
          );
        },
      ),
    );
  });
});

/** A price with its frozen commission and a refund of 0 to the whole price. */
const booking = fc.tuple(price, rate).chain(([p, r]) =>
  fc.record({
    price: fc.constant(p),
    commission: fc.constant(commissionFor(p, r)),
    refund: fc.oneof(fc.constant(0), fc.constant(p), fc.integer({ min: 0, max: p })),
  }),
);

describe("splitRefund", () => {
  it("splits a partial refund with the same half-up rule", () => {
    // Price 10,000, commission 1,000, refund 3,333: 6,667 released, 10 % of it is 666.7 → 667.
    expect(splitRefund(10_000, 1_000, 3_333)).toEqual({
      refund: 3_333,
      released: 6_667,
      commissionOnReleased: 667,
      contractorAmount: 6_000,
    });
    // Exactly half a cent rounds up: 1 × 1 / 2.
    expect(splitRefund(2, 1, 1)).toEqual({
      refund: 1,
      released: 1,
      commissionOnReleased: 1,
      contractorAmount: 0,
    });
  });

  it("gives the booking's own amounts for no refund and nothing for a full one", () => {
    fc.assert(
      fc.property(price, rate, (p, r) => {
        const commission = commissionFor(p, r);
        expect(splitRefund(p, commission, 0)).toEqual({
          refund: 0,
          released: p,
          commissionOnReleased: commission,
          contractorAmount: p - commission,
        });
        expect(splitRefund(p, commission, p)).toEqual({
          refund: p,
          released: 0,
          commissionOnReleased: 0,
          contractorAmount: 0,
        });
      }),
    );
  });

  it("adds up exactly and stays within bounds", () => {
    fc.assert(
      fc.property(booking, ({ price: p, commission, refund }) => {
        const split = splitRefund(p, commission, refund);
        expect(split.refund + split.released).toBe(p);
        expect(split.commissionOnReleased + split.contractorAmount).toBe(split.released);
        expect(split.refund + split.commissionOnReleased + split.contractorAmount).toBe(p);
        expect(split.commissionOnReleased).toBeGreaterThanOrEqual(0);
        expect(split.commissionOnReleased).toBeLessThanOrEqual(commission);
        expect(split.contractorAmount).toBeGreaterThanOrEqual(0);
        expect(split.contractorAmount).toBeLessThanOrEqual(p - commission);
      }),
    );
  });

  it("gives the contractor and the platform less as the refund grows", () => {
    fc.assert(
      fc.property(
        booking,
        fc.integer({ min: 0, max: 100_000_000 }),
        ({ price: p, commission, refund }, extra) => {
          const larger = Math.min(p, refund + extra);
          const small = splitRefund(p, commission, refund);
          const large = splitRefund(p, commission, larger);
          expect(large.commissionOnReleased).toBeLessThanOrEqual(small.commissionOnReleased);
          expect(large.released).toBeLessThanOrEqual(small.released);
        },
      ),
    );
  });

  it("refuses a refund above the price or a commission above it", () => {
    expect(() => splitRefund(1_000, 100, 1_001)).toThrow(RangeError);
    expect(() => splitRefund(1_000, 1_001, 0)).toThrow(RangeError);
    expect(() => splitRefund(1_000, 100, -1)).toThrow(RangeError);
  });
});
