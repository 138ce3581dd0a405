export { accounts } from "./ledger.accounts.js";
export { type CheckResult, type LedgerCheck, ledgerChecks, runLedgerChecks } from "./ledger.checks.js";
/** @public For modules that post (payments): the errors `post` may answer. */
export { ledgerErrors } from "./ledger.errors.js";
export { createLedgerModule, type LedgerModuleDeps } from "./ledger.module.js";
export type {
  AccountBalance,
  DailyNet,
  EntriesQuery,
  LedgerEntryView,
  LedgerService,
  LedgerTransactionView,
  PostInput,
  Posting,
} from "./ledger.service.js";
/** @public For payments: the commission frozen at funding and the split of a refund or dispute resolution. */
export { type CommissionRate, commissionFor, type RefundSplit, splitRefund } from "./money-split.js";
