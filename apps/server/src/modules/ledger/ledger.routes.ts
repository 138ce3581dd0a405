import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import {
  accountBalancePageSchema,
  ledgerTransactionPageSchema,
  listBalancesQuery,
  listTransactionsQuery,
} from "./ledger.contract.js";
import type { LedgerService } from "./ledger.service.js";

const bookingId = "0192e6f0-4a1b-7c2d-8e3f-4a5b6c7d8e9f";
const contractorId = "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18";

export function ledgerRoutes(ledger: LedgerService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/admin/transactions",
      tags: ["Admin"],
      summary: "Ledger transactions, newest first, each with its entries",
      description:
        "Every money movement is one transaction whose entries sum to zero (positive debits, negative credits). Filter by booking, by an account the transaction touches, by kind, or by when it was recorded (`from` inclusive, `to` exclusive).",
      access: ["admin"],
      query: listTransactionsQuery,
      response: { status: 200, description: "A page of transactions", schema: ledgerTransactionPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            {
              id: "0192e7a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
              key: `release:${bookingId}`,
              kind: "release",
              currency: "usd",
              bookingId,
              withdrawalId: null,
              memo: null,
              createdAt: "2026-03-14T16:20:05.112Z",
              entries: [
                { account: "customer_funds_held", amount: 12500 },
                { account: "platform_commission", amount: -1250 },
                { account: `contractor_payable:${contractorId}`, amount: -11250 },
              ],
            },
          ],
          nextCursor:
            "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5MmU3YTAtMWIyYy03ZDNlLThmNDAtNWE2YjdjOGQ5ZTBmIl0",
        },
      },
      handler: ({ query }) =>
        ledger.transactions({
          ...query,
          from: query.from === undefined ? undefined : new Date(query.from),
          to: query.to === undefined ? undefined : new Date(query.to),
        }),
    });

    api.route({
      method: "get",
      path: "/admin/ledger/balances",
      tags: ["Admin"],
      summary: "Balance of every ledger account, by account name",
      description:
        "Signed like entries: asset accounts (`platform_cash`, `contractor_transferred:<id>`) are normally positive; what is owed, earned or in flight (`customer_funds_held`, `platform_commission`, `contractor_payable:<id>`, `refunds`, `payouts`) normally negative. All balances of a currency sum to zero.",
      access: ["admin"],
      query: listBalancesQuery,
      response: { status: 200, description: "A page of balances", schema: accountBalancePageSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            { account: `contractor_payable:${contractorId}`, currency: "usd", balance: -11250 },
            { account: `contractor_transferred:${contractorId}`, currency: "usd", balance: 11250 },
            { account: "platform_cash", currency: "usd", balance: 1250 },
            { account: "platform_commission", currency: "usd", balance: -1250 },
          ],
          nextCursor: null,
        },
      },
      handler: ({ query }) => ledger.balances(query),
    });
  };
}
