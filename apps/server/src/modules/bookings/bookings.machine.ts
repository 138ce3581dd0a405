/**
 * The booking lifecycle as one table: every route, timer and service call that changes a booking's status
 * looks its action up here, and nothing else decides which changes exist. Pure: no database, no clock.
 */

export const bookingStatuses = [
  "requested",
  "accepted",
  "declined",
  "expired",
  "funded",
  "in_progress",
  "completed",
  "released",
  "disputed",
  "refunded",
  "partially_refunded",
  "cancelled",
] as const;
export type BookingStatus = (typeof bookingStatuses)[number];

/** Who makes a change: one of the booking's two parties, an admin, or the server itself (timers, payments). */
export type Actor = "customer" | "contractor" | "admin" | "system";

/**
 * What a transition does besides changing the status, each carried out in the same transaction:
 * - `refundPolicy`: the cancellation policy's refund is computed and stored (funded bookings only)
 * - `autoRelease`: the auto-release timer is enqueued
 * - `freezeAmounts`: commission and the contractor's share are stored (the payments module supplies them)
 * - `storeReason`: the dispute's reason is kept on the booking
 * - `storeRefund`: an admin's resolution stores the amount refunded
 * Every transition also records a history entry and enqueues a `booking.changed` event.
 */
export type Effect = "refundPolicy" | "autoRelease" | "freezeAmounts" | "storeReason" | "storeRefund";

export interface Transition {
  readonly by: readonly Actor[];
  readonly from: readonly BookingStatus[];
  readonly to: BookingStatus;
  readonly effects: readonly Effect[];
}

export const transitions = {
  accept: { by: ["contractor"], from: ["requested"], to: "accepted", effects: [] },
  decline: { by: ["contractor"], from: ["requested"], to: "declined", effects: [] },
  expire: { by: ["system"], from: ["requested"], to: "expired", effects: [] },
  fund: { by: ["system"], from: ["accepted"], to: "funded", effects: ["freezeAmounts"] },
  start: { by: ["contractor"], from: ["funded"], to: "in_progress", effects: [] },
  complete: { by: ["contractor"], from: ["in_progress"], to: "completed", effects: ["autoRelease"] },
  confirm: { by: ["customer"], from: ["completed"], to: "released", effects: [] },
  autoRelease: { by: ["system"], from: ["completed"], to: "released", effects: [] },
  dispute: {
    by: ["customer"],
    from: ["funded", "in_progress", "completed"],
    to: "disputed",
    effects: ["storeReason"],
  },
  cancel: {
    by: ["customer", "contractor"],
    from: ["requested", "accepted", "funded"],
    to: "cancelled",
    effects: ["refundPolicy"],
  },
  resolveRelease: { by: ["admin"], from: ["disputed"], to: "released", effects: ["storeRefund"] },
  resolveRefund: { by: ["admin"], from: ["disputed"], to: "refunded", effects: ["storeRefund"] },
  resolvePartial: {
    by: ["admin"],
    from: ["disputed"],
    to: "partially_refunded",
    effects: ["storeRefund"],
  },
  // A card-network chargeback (Stripe `charge.dispute.created`) holds the money like a customer's dispute; a
  // booking already released stays released and the chargeback is shown to admins beside the disputes.
  chargeback: {
    by: ["system"],
    from: ["funded", "in_progress", "completed"],
    to: "disputed",
    effects: ["storeReason"],
  },
  // An admin refunding money already released: the payments module reverses the contractor's transfer.
  refundReleased: { by: ["admin"], from: ["released"], to: "refunded", effects: ["storeRefund"] },
  partialRefundReleased: {
    by: ["admin"],
    from: ["released"],
    to: "partially_refunded",
    effects: ["storeRefund"],
  },
} as const satisfies Record<string, Transition>;

export type Action = keyof typeof transitions;
export const actions = Object.keys(transitions) as Action[];

/** States no action leaves. */
export const terminalStatuses: readonly BookingStatus[] = bookingStatuses.filter(
  (status) => !actions.some((action) => (transitions[action].from as readonly string[]).includes(status)),
);

export type Decision =
  | { ok: true; to: BookingStatus; effects: readonly Effect[] }
  | { ok: false; reason: "forbidden" | "invalid_transition" };

/**
 * Whether `actor` may take `action` on a booking in `status`. The actor is checked first: a party who may
 * never take this action is told so whatever the state.
 */
export function decide(action: Action, actor: Actor, status: BookingStatus): Decision {
  const transition: Transition = transitions[action];
  if (!transition.by.includes(actor)) return { ok: false, reason: "forbidden" };
  if (!transition.from.includes(status)) return { ok: false, reason: "invalid_transition" };
  return { ok: true, to: transition.to, effects: transition.effects };
}

/** Human wording of an action for problem details ("accept", "auto-release"). */
export function actionName(action: Action): string {
  return action.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
