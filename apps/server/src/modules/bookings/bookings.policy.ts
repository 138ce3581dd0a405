/** The cancellation policy's numbers (settings `BOOKING_FREE_CANCEL_NOTICE`, `BOOKING_LATE_CANCEL_REFUND_BPS`). */
export interface CancellationPolicy {
  /** A customer cancelling a funded booking at least this long before its start is refunded in full. */
  fullRefundNoticeSeconds: number;
  /** Share of the price refunded to a customer who cancels a funded booking later than that, in basis points. */
  lateRefundBps: number;
}

export interface CancellationInput {
  /** Who cancels. */
  by: "customer" | "contractor";
  /** Whether the booking had been paid (status `funded`). */
  funded: boolean;
  /** Price in minor units. */
  price: number;
  scheduledStart: Date;
  now: Date;
}

/**
 * The refund a cancellation owes the customer, in minor units, or null when nothing was paid. Integer math
 * only: the partial share is rounded down to the minor unit (bigint, so no price can lose precision).
 */
export function cancellationRefund(policy: CancellationPolicy, input: CancellationInput): number | null {
  if (!input.funded) return null;
  if (input.by === "contractor") return input.price;
  const noticeMs = input.scheduledStart.getTime() - input.now.getTime();
  if (noticeMs > policy.fullRefundNoticeSeconds * 1000) return input.price;
  return Number((BigInt(input.price) * BigInt(policy.lateRefundBps)) / 10_000n);
}
