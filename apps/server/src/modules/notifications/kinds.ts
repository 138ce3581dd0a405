/**
 * Every kind of notification: what it says (title and body, from the event's facts), whether it may also
 * be emailed, and its defaults. The app routes on `data.kind` and the ids beside it.
 */
export const notificationKinds = [
  "newQuote",
  "quoteAccepted",
  "bookingRequested",
  "bookingAccepted",
  "bookingDeclined",
  "bookingExpired",
  "bookingCancelled",
  "paymentReceived",
  "jobStarted",
  "jobCompleted",
  "fundsReleased",
  "disputeOpened",
  "disputeResponded",
  "disputeResolved",
  "withdrawalPaid",
  "withdrawalFailed",
  "newMessage",
  "verificationDecided",
  "newReview",
  "reviewReplied",
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** What templates may say: the facts an event brings, all optional. */
export interface Facts {
  /** The other party's name (customer or contractor), or the sender of a message. */
  name?: string;
  /** The job's title, or the booked work's first line. */
  subject?: string;
  /** An amount already formatted with its currency ("£240.00"). */
  amount?: string;
  /** A message's text, or a verification's outcome. */
  text?: string;
  approved?: boolean;
  reason?: string;
  /** A review's stars, 1 to 5. */
  rating?: number;
}

interface KindDef {
  title: (facts: Facts) => string;
  body: (facts: Facts) => string;
  /** Kinds that may also be emailed (the user chooses); the rest have no email. */
  email: boolean;
}

const about = (facts: Facts) => (facts.subject ? ` "${facts.subject}"` : "");
const someone = (facts: Facts, fallback: string) => facts.name ?? fallback;

export const kinds: Record<NotificationKind, KindDef> = {
  newQuote: {
    title: () => "New quote",
    body: (f) =>
      `${someone(f, "A contractor")} quoted${f.amount ? ` ${f.amount}` : ""} for${about(f) || " your job"}.`,
    email: false,
  },
  quoteAccepted: {
    title: () => "Quote accepted",
    body: (f) =>
      `${someone(f, "The customer")} accepted your quote for${about(f) || " their job"}: the booking is confirmed.`,
    email: false,
  },
  bookingRequested: {
    title: () => "New booking request",
    body: (f) =>
      `${someone(f, "A customer")} asks to book you for${about(f) || " a job"}. Accept or decline it.`,
    email: false,
  },
  bookingAccepted: {
    title: () => "Booking confirmed",
    body: (f) => `${someone(f, "The contractor")} accepted your booking${about(f)}. Pay to secure it.`,
    email: true,
  },
  bookingDeclined: {
    title: () => "Booking declined",
    body: (f) => `${someone(f, "The contractor")} declined your booking${about(f)}.`,
    email: false,
  },
  bookingExpired: {
    title: () => "Booking request expired",
    body: (f) => `The booking request${about(f)} expired without an answer.`,
    email: false,
  },
  bookingCancelled: {
    title: () => "Booking cancelled",
    body: (f) => `The booking${about(f)} was cancelled${f.name ? ` by ${f.name}` : ""}.`,
    email: false,
  },
  paymentReceived: {
    title: () => "Payment received",
    body: (f) =>
      `${f.amount ? `${f.amount} was` : "The payment was"} received for the booking${about(f)}; it is held until the work is done.`,
    email: true,
  },
  jobStarted: {
    title: () => "Job started",
    body: (f) => `${someone(f, "The contractor")} started the job${about(f)}.`,
    email: false,
  },
  jobCompleted: {
    title: () => "Job completed",
    body: (f) =>
      `${someone(f, "The contractor")} marked the job${about(f)} completed. Confirm it, or open a dispute.`,
    email: false,
  },
  fundsReleased: {
    title: () => "Funds released",
    body: (f) =>
      `${f.amount ? `${f.amount} for` : "The payment for"} the booking${about(f)} was released to you.`,
    email: false,
  },
  disputeOpened: {
    title: () => "Dispute opened",
    body: (f) =>
      `${someone(f, "The customer")} opened a dispute on the booking${about(f)}. An admin will review it.`,
    email: false,
  },
  disputeResponded: {
    title: () => "Contractor responded",
    body: (f) =>
      `${someone(f, "The contractor")} gave their side of the dispute on the booking${about(f)}. An admin will review both.`,
    email: false,
  },
  disputeResolved: {
    title: () => "Dispute resolved",
    body: (f) => `The dispute on the booking${about(f)} was resolved${f.text ? `: ${f.text}` : ""}.`,
    email: false,
  },
  withdrawalPaid: {
    title: () => "Withdrawal paid",
    body: (f) => `Your withdrawal${f.amount ? ` of ${f.amount}` : ""} was paid out to your bank account.`,
    email: true,
  },
  withdrawalFailed: {
    title: () => "Withdrawal failed",
    body: (f) =>
      `Your withdrawal${f.amount ? ` of ${f.amount}` : ""} could not be paid out${f.reason ? `: ${f.reason}` : ""}. The amount is available again.`,
    email: false,
  },
  newMessage: {
    title: (f) => someone(f, "New message"),
    body: (f) => f.text ?? "Sent you a message",
    email: false,
  },
  verificationDecided: {
    title: (f) => (f.approved ? "You are verified" : "Verification declined"),
    body: (f) =>
      f.approved
        ? "Your documents were approved: your profile now shows the verified badge."
        : `Your verification request was declined${f.reason ? `: ${f.reason}` : ""}. You may send new documents.`,
    email: false,
  },
  newReview: {
    title: () => "New review",
    body: (f) =>
      `${someone(f, "A customer")} reviewed the booking${about(f)}${f.rating ? `: ${f.rating} of 5 stars` : ""}. You may reply once.`,
    email: false,
  },
  reviewReplied: {
    title: () => "Reply to your review",
    body: (f) => `${someone(f, "The contractor")} replied to your review of the booking${about(f)}.`,
    email: false,
  },
};

/** Preferences of a kind nobody changed: push on; email on where the kind has one. */
export function defaultPreference(kind: NotificationKind): { push: boolean; email: boolean | null } {
  return { push: true, email: kinds[kind].email ? true : null };
}

/** Money for people: minor units and an ISO code, as the user's locale would roughly show it. */
export function formatMoney(money: { amount: number; currency: string }): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: money.currency.toUpperCase() }).format(
      money.amount / 10 ** currencyDigits(money.currency),
    );
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}
