/**
 * The ledger's accounts (docs/architecture.md, "The ledger"). Amounts are signed from the platform's books:
 * positive debits, negative credits. Asset-like accounts (`platform_cash`, `contractor_transferred:<id>`)
 * normally hold a positive balance; the others (what is owed, earned or in flight) a negative one.
 */
export const accounts = {
  /** Customers' payments held in escrow for funded bookings not yet released or refunded. */
  customerFundsHeld: "customer_funds_held",
  /** The platform's commission earned on released money. */
  platformCommission: "platform_commission",
  /** Refunds asked of the gateway and not yet confirmed by it. */
  refunds: "refunds",
  /** Withdrawals asked of the gateway (Payouts) and not yet paid or failed. */
  payouts: "payouts",
  /** The platform's own balance at the gateway. */
  platformCash: "platform_cash",
  /** What the platform owes a contractor: released shares not yet withdrawn (their available earnings). */
  contractorPayable: (contractorId: string) => `contractor_payable:${contractorId}`,
  /** What sits in a contractor's connected account: transferred and not yet paid out to their bank. */
  contractorTransferred: (contractorId: string) => `contractor_transferred:${contractorId}`,
} as const;

/** An account name: a lower-case word, optionally `:` and the UUID of the contractor it belongs to. */
export const accountPattern = /^[a-z][a-z_]*(:[0-9a-f-]{36})?$/;
