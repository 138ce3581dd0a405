export type { PaymentGateway } from "./gateway.js";
export { simulatedModel } from "./gateway.simulated.js";
export type { DemoPayments } from "./payments.demo.js";
export { createPaymentsModule, type PaymentsModuleDeps } from "./payments.module.js";
export type { MoneyEvent, MoneyEventListener, PaymentsService } from "./payments.service.js";
/** @public For `npm run ledger:check` and the tests' ledger check: reconciliation with the gateway. */
export { paymentChecks } from "./reconcile.js";
/** @public For the Stripe HTTP double of the tests: the same model of Stripe the simulated gateway runs. */
export {
  createStripeModel,
  type ModelRequest,
  memoryStore,
  type StripeEvent,
  type StripeModel,
  type StripeObject,
} from "./stripe-model.js";
