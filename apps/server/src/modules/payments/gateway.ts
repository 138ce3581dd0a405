/**
 * What the payments module asks of a payment processor: the few Stripe Connect calls escrow needs. Two
 * implementations: `stripe` (the official SDK) and `simulated` (Stripe test mode's behaviour, offline). Every
 * call that moves money takes an idempotency key derived from our own rows, so a retry never moves it twice.
 */

export interface ConnectedAccount {
  id: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  /** The account may receive transfers (its `transfers` capability is active). */
  transfersEnabled: boolean;
}

/** Stripe's PaymentIntent status: requires_payment_method, requires_action, processing, canceled, succeeded… */
export type PaymentIntentStatus = string;

export interface PaymentIntentView {
  id: string;
  status: PaymentIntentStatus;
  amount: number;
  currency: string;
  clientSecret: string | null;
  /** The charge of a succeeded payment: the `source_transaction` of its transfer. */
  latestCharge: string | null;
  metadata: Record<string, string>;
  transferGroup: string | null;
}

export interface TransferView {
  id: string;
  amount: number;
  amountReversed: number;
  currency: string;
  destination: string;
  sourceTransaction: string | null;
  transferGroup: string | null;
}

export interface RefundView {
  id: string;
  amount: number;
  status: string;
}

export interface PayoutView {
  id: string;
  amount: number;
  currency: string;
  status: string;
}

/** A card declined at confirmation (402 `payment.declined`); the PaymentIntent stays, awaiting another method. */
export class PaymentDeclined extends Error {
  override name = "PaymentDeclined";
  constructor(
    message: string,
    readonly declineCode: string | null,
  ) {
    super(message);
  }
}

export interface PaymentGateway {
  readonly mode: "stripe" | "simulated";
  createAccount(input: { userId: string; idempotencyKey: string }): Promise<ConnectedAccount>;
  retrieveAccount(accountId: string): Promise<ConnectedAccount>;
  accountLink(accountId: string, urls: { returnUrl: string; refreshUrl: string }): Promise<string>;
  createPaymentIntent(input: {
    amount: number;
    currency: string;
    transferGroup: string;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<PaymentIntentView>;
  /** Throws `PaymentDeclined` when the card is declined. */
  confirmPaymentIntent(id: string, paymentMethod: string, idempotencyKey: string): Promise<PaymentIntentView>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentView>;
  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentView>;
  createTransfer(input: {
    amount: number;
    currency: string;
    destination: string;
    sourceTransaction: string;
    transferGroup: string;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<TransferView>;
  retrieveTransfer(id: string): Promise<TransferView>;
  reverseTransfer(input: {
    transferId: string;
    amount: number;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<{ id: string; amount: number }>;
  createRefund(input: {
    paymentIntent: string;
    amount: number;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<RefundView>;
  /** A payout from a connected account's balance to its bank (the `Stripe-Account` header names the account). */
  createPayout(input: {
    account: string;
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<PayoutView>;
  retrievePayout(account: string, id: string): Promise<PayoutView>;
}
