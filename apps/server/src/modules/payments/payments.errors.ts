import { defineErrors } from "../../http/errors.js";

export const paymentErrors = defineErrors({
  contractorNotOnboarded: {
    code: "payment.contractor_not_onboarded",
    status: 409,
    title: "The contractor cannot receive payments yet (Stripe onboarding is not complete)",
  },
  declined: { code: "payment.declined", status: 402, title: "The card was declined" },
  gatewayFailed: {
    code: "payment.gateway_failed",
    status: 502,
    title: "The payment processor could not be reached or refused the request; try again",
  },
  badSignature: {
    code: "webhook.invalid_signature",
    status: 400,
    title: "The webhook's Stripe-Signature does not match its body, or it is too old",
  },
  currencyMismatch: {
    code: "payment.currency_mismatch",
    status: 422,
    title: "The amount is not in the booking's (or the balance's) currency",
  },
  notOnboarded: {
    code: "withdrawal.not_onboarded",
    status: 409,
    title: "Finish Stripe onboarding before withdrawing",
  },
  insufficientFunds: {
    code: "withdrawal.insufficient_funds",
    status: 422,
    title: "The amount is more than your available balance",
  },
});
