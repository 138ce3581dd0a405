import { defineErrors } from "../../http/errors.js";

export const ledgerErrors = defineErrors({
  unbalanced: {
    code: "ledger.unbalanced",
    status: 422,
    title: "The ledger transaction does not balance",
  },
  invalidPosting: {
    code: "ledger.invalid_posting",
    status: 422,
    title: "The ledger transaction is not valid",
  },
  keyReused: {
    code: "ledger.key_reused",
    status: 409,
    title: "The ledger key was already used for a different transaction",
  },
});
