/**
 * The platform's money arithmetic, in integer minor units. One rounding rule everywhere: a share of an amount
 * is rounded half up (`floor((2·a·n + d) / (2·d))` for `a · n / d`), computed in BigInt so no product of a
 * price (at most 100,000,000) and a rate or a commission leaves the exact range.
 *
 * - Commission of a price: `round_half_up(price × rateBps / 10000) + fixedFee`, capped at the price (a fee
 *   larger than a small job's price takes the whole price, never more) and never negative.
 * - Refund split: `released = price − refund`; the commission on the released part is the frozen commission in
 *   proportion to the released share, `round_half_up(commission × released / price)`; the contractor gets
 *   `released − commissionOnReleased`. A refund of 0 gives back the booking's own commission and contractor
 *   amount; a full refund gives both 0.
 */

export interface CommissionRate {
  /** Percentage part, in basis points (1 bp = 0.01 %): 0 to 10,000. */
  rateBps: number;
  /** Fixed part per booking, in the booking's minor units. */
  fixedFee: number;
}

export interface RefundSplit {
  /** What goes back to the customer. */
  refund: number;
  /** What stays paid: `price − refund`. */
  released: number;
  /** The platform's commission on the released part. */
  commissionOnReleased: number;
  /** What the contractor receives: `released − commissionOnReleased`. */
  contractorAmount: number;
}

function wholeAmount(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name} must be a whole number of minor units from 0 to ${max}, not ${value}`);
}

/** `round_half_up(a × n / d)` for non-negative integers, exact. */
function shareHalfUp(a: number, n: number, d: number): number {
  const twice = 2n * BigInt(a) * BigInt(n) + BigInt(d);
  return Number(twice / (2n * BigInt(d)));
}

/** The platform's commission on a booking of `price` at `rate` (see the rounding rule above). */
export function commissionFor(price: number, rate: CommissionRate): number {
  wholeAmount("price", price);
  wholeAmount("rateBps", rate.rateBps, 10_000);
  wholeAmount("fixedFee", rate.fixedFee);
  const commission = shareHalfUp(price, rate.rateBps, 10_000) + rate.fixedFee;
  return Math.min(commission, price);
}

/**
 * How a booking of `price` with frozen `commission` divides when `refund` goes back to the customer: the
 * admin's dispute resolution (0 to the full price), a cancellation refund, a partial refund after release.
 */
export function splitRefund(price: number, commission: number, refund: number): RefundSplit {
  wholeAmount("price", price);
  wholeAmount("commission", commission, price);
  wholeAmount("refund", refund, price);
  const released = price - refund;
  const commissionOnReleased = price === 0 ? 0 : shareHalfUp(commission, released, price);
  return { refund, released, commissionOnReleased, contractorAmount: released - commissionOnReleased };
}
