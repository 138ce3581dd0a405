import type pg from "pg";
import { expect } from "vitest";
import { type LedgerCheck, ledgerChecks, runLedgerChecks } from "../src/modules/ledger/index.js";
import { type Account, register } from "./accounts.js";
import { createContractor } from "./fixtures.js";
import type { TestServer } from "./server.js";

/**
 * Fails the test, naming each violation, unless every invariant `npm run ledger:check` verifies holds on this
 * database (plus `extra` checks). Call it after each test that moves money: `afterEach(() =>
 * expectLedgerBalanced(app.server.database.pool))`.
 */
export async function expectLedgerBalanced(pool: pg.Pool, extra: readonly LedgerCheck[] = []): Promise<void> {
  const results = await runLedgerChecks(pool, [...ledgerChecks, ...extra]);
  const violations = results.flatMap((result) =>
    result.violations.map((violation) => `${result.name}: ${violation}`),
  );
  expect(violations, "the ledger's invariants").toEqual([]);
}

export interface AcceptedBooking {
  id: string;
  customer: Account;
  contractor: Account;
  price: { amount: number; currency: string };
}

/** A booking the contractor accepted, ready to be paid: made through the API as the apps make it. */
export async function acceptedBooking(
  app: TestServer,
  price = { amount: 24_000, currency: "usd" },
): Promise<AcceptedBooking> {
  const contractor = await createContractor(app);
  const available = await app.request("PUT", "/api/v1/contractors/me/availability", {
    token: contractor.accessToken,
    body: {
      timezone: "UTC",
      weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })),
    },
  });
  if (available.status !== 200) throw new Error(`availability failed: ${JSON.stringify(available.body)}`);
  const customer = await register(app, "customer");
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const created = await app.request("POST", "/api/v1/bookings", {
    token: customer.accessToken,
    body: {
      contractorId: contractor.id,
      categorySlug: "electrician",
      description: "Replace the fuse board",
      scheduledStart: start.toISOString(),
      location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
      price,
    },
  });
  if (created.status !== 201) throw new Error(`booking failed: ${JSON.stringify(created.body)}`);
  const accepted = await app.request("POST", `/api/v1/bookings/${created.body.id}/accept`, {
    token: contractor.accessToken,
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  return { id: created.body.id, customer, contractor, price };
}
