import { z } from "zod";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { isoInstant } from "../../http/validation.js";
import { accountPattern } from "./ledger.accounts.js";

const accountName = z
  .string()
  .regex(accountPattern, "must be an account name such as platform_commission or contractor_payable:<id>");
const accountPrefix = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z_:0-9-]+$/, "must be the start of an account name, e.g. contractor_payable:");
const currency = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z]{3}$/, "must be a 3-letter ISO 4217 code, e.g. usd");

export const listTransactionsQuery = pageQuery
  .extend({
    bookingId: z.uuid("must be a booking id").optional(),
    account: accountName.optional().meta({ description: "Only transactions with an entry on this account" }),
    kind: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,49}$/, "must be a transaction kind such as funding or release")
      .optional(),
    from: isoInstant()
      .optional()
      .meta({ description: "Only transactions recorded at or after this instant (ISO 8601)" }),
    to: isoInstant()
      .optional()
      .meta({ description: "Only transactions recorded before this instant (ISO 8601)" }),
  })
  .refine((query) => !query.from || !query.to || Date.parse(query.from) < Date.parse(query.to), {
    message: "must be after `from`",
    path: ["to"],
  });

export const listBalancesQuery = pageQuery.extend({
  accountPrefix: accountPrefix
    .optional()
    .meta({ description: "Only accounts whose name starts with this, e.g. `contractor_payable:`" }),
  currency: currency.optional(),
});

const signedAmount = z.number().int().meta({
  description: "Signed minor units: positive debits the account, negative credits it",
});

const postingSchema = z
  .object({ account: z.string(), amount: signedAmount })
  .meta({ id: "LedgerPosting", description: "One entry of a ledger transaction" });

export const ledgerTransactionSchema = z
  .object({
    id: z.uuid(),
    key: z.string().meta({ description: "The idempotency key the movement was recorded under" }),
    kind: z.string().meta({ description: "What happened: funding, release, transfer, refund, withdrawal…" }),
    currency: z.string(),
    bookingId: z.uuid().nullable(),
    withdrawalId: z.uuid().nullable(),
    memo: z.string().nullable(),
    createdAt: z.iso.datetime(),
    entries: z.array(postingSchema).meta({ description: "Debits first; they sum to zero" }),
  })
  .meta({ id: "LedgerTransaction" });

export const ledgerTransactionPageSchema = pageSchema(ledgerTransactionSchema).meta({
  id: "LedgerTransactionPage",
});

export const accountBalanceSchema = z
  .object({
    account: z.string(),
    currency: z.string(),
    balance: signedAmount,
  })
  .meta({ id: "LedgerAccountBalance" });

export const accountBalancePageSchema = pageSchema(accountBalanceSchema).meta({ id: "LedgerBalancePage" });
