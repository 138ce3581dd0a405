import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "./accounts.js";
import { createContractor, samplePdf, uploadedFileId } from "./fixtures.js";
import { startTestServer, type TestServer } from "./server.js";
import { until } from "./until.js";

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it). */
const chromiumPath = "/usr/bin/chromium";
const adminApp = fileURLToPath(new URL("../../admin", import.meta.url));
const screenshots = fileURLToPath(new URL("../../admin/test-results", import.meta.url));

const haveChromium = existsSync(chromiumPath);
// In CI the browser test always runs (a missing Chromium fails it); elsewhere it is skipped with a reason.
const skip = !haveChromium && !process.env.CI;
if (skip) {
  console.warn(
    `admin dashboard browser test skipped: ${chromiumPath} is missing (apt-get install -y chromium to run it)`,
  );
}

const adminEmail = "dashboard-admin@example.com";
const DAY_MS = 86_400_000;

describe.skipIf(skip)("the admin dashboard in Chromium", () => {
  let app: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  let contractor: Account;
  let customer: Account;
  let bookingId: string;
  let disputedId: string;
  let chargedBackId: string;
  let jobId: string;

  beforeAll(async () => {
    // The dashboard as `npm start` serves it: built from the current sources.
    await promisify(execFile)("npx", ["vite", "build", "--logLevel", "error"], { cwd: adminApp });
    await mkdir(screenshots, { recursive: true });
    app = await startTestServer({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: strongPassword });

    // What the pages will show: a contractor waiting for verification, a booking, a job, a user to suspend.
    contractor = await createContractor(app, "Vera Voltage");
    const document = await uploadedFileId(
      app,
      contractor.accessToken,
      "verification_document",
      samplePdf,
      "licence.pdf",
    );
    const submitted = await app.request("POST", "/api/v1/contractors/me/verification", {
      token: contractor.accessToken,
      body: { fileIds: [document], note: "Electrical licence attached" },
    });
    expect(submitted.status).toBe(201);
    /** Bookable at any hour of any day. */
    const alwaysAvailable = async (who: Account) => {
      const published = await app.request("PUT", "/api/v1/contractors/me/availability", {
        token: who.accessToken,
        body: {
          timezone: "UTC",
          weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })),
        },
      });
      expect(published.status, JSON.stringify(published.body)).toBe(200);
    };
    await alwaysAvailable(contractor);
    customer = await register(app, "customer", { name: "Carl Customer" });
    const start = new Date(Date.now() + 3 * DAY_MS);
    start.setUTCMinutes(0, 0, 0);
    const booked = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: {
        contractorId: contractor.id,
        categorySlug: "electrician",
        description: "Install an outdoor socket",
        scheduledStart: start.toISOString(),
        location: { lat: 51.5, lng: -0.12, address: "1 Garden Row, London" },
        price: { amount: 18_000, currency: "gbp" },
      },
    });
    expect(booked.status).toBe(201);
    bookingId = booked.body.id;

    // A dispute with money held: the contractor onboards (the simulated gateway completes it at once), the
    // customer pays a second booking and disputes it.
    const act = async (who: Account, id: string, action: string, body?: unknown) => {
      const answer = await app.request("POST", `/api/v1/bookings/${id}/${action}`, {
        token: who.accessToken,
        body,
      });
      expect(answer.status, `${action}: ${JSON.stringify(answer.body)}`).toBe(200);
      return answer;
    };
    /** A booking of `by`, accepted and paid for by the customer: funded, the money held. */
    const funded = async (by: Account, description: string, price: number, daysAhead: number) => {
      const onboarding = await app.request("POST", "/api/v1/payments/connect/onboarding", {
        token: by.accessToken,
      });
      expect(onboarding.status, JSON.stringify(onboarding.body)).toBe(200);
      const booked = await app.request("POST", "/api/v1/bookings", {
        token: customer.accessToken,
        body: {
          contractorId: by.id,
          categorySlug: "electrician",
          description,
          scheduledStart: new Date(start.getTime() + daysAhead * DAY_MS).toISOString(),
          location: { lat: 51.5, lng: -0.12, address: "1 Garden Row, London" },
          price: { amount: price, currency: "gbp" },
        },
      });
      expect(booked.status, JSON.stringify(booked.body)).toBe(201);
      const id: string = booked.body.id;
      await act(by, id, "accept");
      await act(customer, id, "payment", { paymentMethodId: "pm_card_visa" });
      await until("the payment to fund the booking", async () => {
        const seen = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
        return seen.body.status === "funded" ? true : undefined;
      });
      return id;
    };
    disputedId = await funded(contractor, "Rewire the garden shed", 24_000, 1);
    const bookingAction = (who: Account, action: string, body?: unknown) =>
      app.request("POST", `/api/v1/bookings/${disputedId}/${action}`, { token: who.accessToken, body });
    const disputed = await bookingAction(customer, "dispute", {
      reason: "The shed lights still trip the fuse",
    });
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(200);
    const responded = await bookingAction(contractor, "dispute/response", {
      statement: "The fuse board is sound; the lamp in the shed is faulty",
    });
    expect(responded.status, JSON.stringify(responded.body)).toBe(200);

    // A chargeback on money already released: another contractor's work, done and confirmed, whose card
    // payment the bank then disputes. The booking stays released; a refund after release is the answer.
    const fitter = await createContractor(app, "Otto Ohm");
    await alwaysAvailable(fitter);
    chargedBackId = await funded(fitter, "Fit a new consumer unit", 30_000, 2);
    await act(fitter, chargedBackId, "start");
    await act(fitter, chargedBackId, "complete");
    await act(customer, chargedBackId, "confirm");
    const stripe = app.server.simulatedStripe;
    if (!stripe) throw new Error("the server did not start the simulated gateway");
    const intent = (await stripe.list("payment_intent")).find(
      (candidate) => candidate.metadata?.bookingId === chargedBackId,
    );
    await stripe.openChargeback(String(intent?.latest_charge));
    const admin = await login(app, adminEmail, strongPassword);
    await until("the chargeback among the disputes", async () => {
      const listed = await app.request("GET", "/api/v1/admin/disputes?limit=100", {
        token: admin.accessToken,
      });
      return listed.body.items.some(
        (entry: { booking: { id: string } }) => entry.booking.id === chargedBackId,
      );
    });
    // What the two said to each other, for the dispute's transcript.
    const conversation = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: contractor.id },
    });
    expect(conversation.status, JSON.stringify(conversation.body)).toBe(200);
    for (const [who, text] of [
      [customer, "The lights in the shed still go off"],
      [contractor, "I replaced the breaker; the fault is in your lamp"],
    ] as const) {
      const sent = await app.request("POST", `/api/v1/conversations/${conversation.body.id}/messages`, {
        token: who.accessToken,
        body: { text },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    }
    const posted = await app.request("POST", "/api/v1/jobs", {
      token: customer.accessToken,
      body: {
        title: "Hang three ceiling lights",
        description: "Fittings bought already",
        categorySlug: "electrician",
        location: { lat: 51.5, lng: -0.12, address: "1 Garden Row, London" },
        preferredStart: new Date(Date.now() + 2 * DAY_MS).toISOString(),
      },
    });
    expect(posted.status).toBe(201);
    jobId = posted.body.id;

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const open = async (path: string, heading: string | RegExp) => {
    await page.goto(`${app.url}/admin${path}`);
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  };
  const shoot = (name: string) => page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true });

  it("tells someone without an admin account plainly that they need one", async () => {
    const context = await browser.newContext();
    const visitor = await context.newPage();
    const errors: string[] = [];
    visitor.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await visitor.goto(`${app.url}/admin/`);
    await visitor.getByLabel("Email").fill(customer.email);
    await visitor.getByLabel("Password").fill(customer.password);
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await visitor.getByRole("heading", { name: "An admin account is needed" }).waitFor();
    await visitor.screenshot({ path: `${screenshots}/not-admin.png` });
    await visitor.getByRole("button", { name: "Sign in with another account" }).click();
    await visitor.getByRole("button", { name: "Sign in" }).waitFor();
    await context.close();
    expect(errors).toEqual([]);
  }, 60_000);

  /**
   * One admin's session, step by step. Steps for pages that arrive with other modules (resolving a dispute,
   * changing the commission) go in this list.
   */
  const steps: { name: string; run: () => Promise<void> }[] = [
    {
      name: "signs in and sees the overview",
      run: async () => {
        await page.goto(`${app.url}/admin/`);
        await page.getByLabel("Email").fill(adminEmail);
        await page.getByLabel("Password").fill(strongPassword);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
        await page.getByText("Pending verifications").waitFor();
        await page.getByRole("img", { name: "Bookings, value paid and commission per day" }).waitFor();
        await shoot("overview");
        // A reload keeps the session: the access token is gone with the page, the cookie renews it.
        await page.reload();
        await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      },
    },
    {
      name: "approves a pending verification",
      run: async () => {
        await open("/verifications", "Verifications");
        const request = page.getByRole("article", { name: "Request of Vera Voltage" });
        await request.getByRole("link", { name: "licence.pdf" }).waitFor();
        await shoot("verifications");
        await request.getByRole("button", { name: "Approve" }).click();
        const dialog = page.getByRole("dialog", { name: "Approve Vera Voltage?" });
        await dialog.getByLabel("Reason (optional)").fill("Licence checked with the register");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await request.waitFor({ state: "detached" });
        const profile = await app.request("GET", `/api/v1/contractors/${contractor.id}`);
        expect(profile.body.verified).toBe(true);
      },
    },
    {
      name: "suspends a user after confirming, and finds the audit entry",
      run: async () => {
        await open("/users", "Users");
        await page.getByLabel("Name or email").fill("Carl");
        await page.getByRole("button", { name: "Search" }).click();
        await page.getByRole("link", { name: "Carl Customer" }).click();
        await page.getByRole("heading", { level: 1, name: "Carl Customer" }).waitFor();
        await page.getByRole("link", { name: "Install an outdoor socket" }).waitFor();
        await shoot("user-detail");
        await page.getByRole("button", { name: "Suspend" }).click();
        const dialog = page.getByRole("dialog", { name: "Suspend Carl Customer?" });
        await dialog.getByLabel("Reason").fill("Abusive messages to contractors");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await page.getByRole("button", { name: "Reactivate" }).waitFor();
        const me = await app.request("GET", "/api/v1/me", { token: customer.accessToken });
        expect(me.status).toBe(403);
        expect(me.body.code).toBe("auth.account_suspended");

        await open("/audit-log", "Audit log");
        await page.getByLabel("Target id").fill(customer.id);
        await page.getByRole("button", { name: "Apply" }).click();
        const row = page.getByRole("row", { name: /user\.suspend/ });
        await row.getByText("Abusive messages to contractors").waitFor();
        await shoot("audit-log");
      },
    },
    {
      name: "resolves a dispute with a partial refund",
      run: async () => {
        await open("/disputes", "Disputes");
        const dispute = page.getByRole("article", { name: `Dispute ${disputedId}` });
        await dispute.getByText("The shed lights still trip the fuse").waitFor();
        await dispute.getByText("The fuse board is sound; the lamp in the shed is faulty").waitFor();
        await dispute.getByRole("button", { name: "Show the chat transcript" }).click();
        const transcript = dispute.getByRole("region", { name: "Chat transcript" });
        await transcript.getByText("I replaced the breaker; the fault is in your lamp").waitFor();
        await transcript.getByText("Vera Voltage (contractor)").waitFor();
        await shoot("disputes");
        await dispute.getByLabel("Refund to the customer (GBP)").fill("90");
        await dispute.getByRole("button", { name: "Resolve" }).click();
        const dialog = page.getByRole("dialog", { name: "Resolve this dispute?" });
        await dialog.getByText("£90.00 goes back to the customer and £150.00 to the contractor.").waitFor();
        await dialog.getByLabel("Reason").fill("Half the circuits were fixed; the rest needs another visit");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await dialog.waitFor({ state: "detached" });
        const settled = await app.request("GET", `/api/v1/bookings/${disputedId}`, {
          token: contractor.accessToken,
        });
        expect(settled.body.status).toBe("partially_refunded");
        expect(settled.body.refundAmount).toEqual({ amount: 9_000, currency: "gbp" });
      },
    },
    {
      name: "refunds a released booking whose payment the bank charged back",
      run: async () => {
        await open("/disputes", "Disputes");
        const dispute = page.getByRole("article", { name: `Dispute ${chargedBackId}` });
        await dispute.getByText("Chargeback needs_response: £300.00 (fraudulent)").waitFor();
        // Nothing is held any more: there is nothing to resolve, only to refund.
        expect(await dispute.getByRole("button", { name: "Resolve" }).count()).toBe(0);
        // A refund after release is of something.
        await dispute.getByLabel("Refund to the customer (GBP)").fill("0");
        expect(await dispute.getByRole("button", { name: "Refund after release" }).count()).toBe(0);
        await dispute.getByLabel("Refund to the customer (GBP)").fill("300.01");
        expect(await dispute.getByRole("button", { name: "Refund after release" }).count()).toBe(0);
        await dispute.getByLabel("Refund to the customer (GBP)").fill("120");
        await dispute.getByRole("button", { name: "Refund after release" }).click();
        const dialog = page.getByRole("dialog", { name: "Refund this released booking?" });
        await dialog
          .getByText(
            "£120.00 goes back to the customer; the contractor's transfer is reversed for their share of it.",
          )
          .waitFor();
        await shoot("refund-after-release");
        await dialog.getByLabel("Reason").fill("The bank sided with the customer over the missing breaker");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await dialog.waitFor({ state: "detached" });
        const admin = await login(app, adminEmail, strongPassword);
        const refunded = await app.request("GET", `/api/v1/bookings/${chargedBackId}`, {
          token: admin.accessToken,
        });
        expect(refunded.body.status).toBe("partially_refunded");
        expect(refunded.body.refundAmount).toEqual({ amount: 12_000, currency: "gbp" });
        // Still listed until the bank closes the chargeback, now with nothing left to refund from here.
        await dispute.getByText("partially refunded").waitFor();
        expect(await dispute.getByRole("button", { name: "Refund after release" }).count()).toBe(0);
      },
    },
    {
      name: "shows a contractor's ledger balance and hides a review, audited",
      run: async () => {
        // The partial refund released the rest, less commission, to the contractor: the page shows what the
        // ledger holds for them.
        const admin = await app.request("POST", "/api/v1/auth/login", {
          body: { email: adminEmail, password: strongPassword },
        });
        // The release is the payments worker's, moments after the resolution.
        const owed = await until("the released share in the ledger", async () => {
          const balances = await app.request(
            "GET",
            `/api/v1/admin/ledger/balances?accountPrefix=contractor_payable:${contractor.id}`,
            { token: admin.body.accessToken },
          );
          const balance: number | undefined = balances.body.items[0]?.balance;
          return balance === undefined ? undefined : -balance;
        });
        expect(owed).toBeGreaterThan(0);
        await open(`/users/${contractor.id}`, "Vera Voltage");
        const ledger = page.getByRole("row", { name: /Available to withdraw/ });
        await ledger.getByText(`£${(owed / 100).toFixed(2)}`).waitFor();
        // Its transactions: the list filtered by that account.
        await ledger.getByRole("link", { name: "Transactions" }).click();
        await page.getByRole("heading", { level: 1, name: "Transactions" }).waitFor();
        await page
          .getByRole("cell", { name: /^release/ })
          .first()
          .waitFor();
        // The customer's payment moved no money of the contractor's: it is not in their list.
        expect(await page.getByRole("cell", { name: /^payment/ }).count()).toBe(0);
        await shoot("transactions-of-contractor");
        // The whole ledger, one kind at a time.
        await open("/transactions", "Transactions");
        await page.getByLabel("Kind").selectOption("payment");
        await page
          .getByRole("cell", { name: /^payment/ })
          .first()
          .waitFor();
        // Two contractors' releases are in the ledger: none of them may stay once filtered.
        await page
          .getByRole("cell", { name: /^release/ })
          .first()
          .waitFor({ state: "detached" });

        // Carl was suspended above: back, and signed in again, to review the work.
        const reactivated = await app.request("PATCH", `/api/v1/admin/users/${customer.id}`, {
          token: admin.body.accessToken,
          body: { status: "active" },
        });
        expect(reactivated.status).toBe(200);
        const carl = await login(app, customer.email, customer.password);
        const reviewed = await app.request("POST", `/api/v1/bookings/${disputedId}/review`, {
          token: carl.accessToken,
          body: { rating: 1, comment: "Call me on 07700 900123 for cheaper work" },
        });
        expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(201);
        await open(`/users/${contractor.id}`, "Vera Voltage");
        await page.getByText("Call me on 07700 900123 for cheaper work").waitFor();
        await open("/reviews", "Reviews");
        const row = page.getByRole("row", { name: /Call me on 07700 900123/ });
        await row.getByRole("button", { name: "Hide" }).click();
        const dialog = page.getByRole("dialog", { name: "Hide this review?" });
        await dialog.getByLabel("Reason").fill("Advertising a phone number");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await dialog.waitFor({ state: "detached" });
        await row.getByRole("button", { name: "Show" }).waitFor();
        await shoot("reviews");
        const shown = await app.request("GET", `/api/v1/contractors/${contractor.id}/reviews`);
        expect(shown.body.items).toEqual([]);
        await open("/audit-log", "Audit log");
        await page
          .getByRole("row", { name: /review\.hide/ })
          .getByText("Advertising a phone number")
          .first()
          .waitFor();
      },
    },
    {
      name: "changes the commission, for bookings paid from now on",
      run: async () => {
        await open("/settings", "Settings");
        const form = page.getByRole("region", { name: "Commission" });
        await form.getByLabel("Rate (%)").fill("12.5");
        await form.getByLabel("Fixed fee (USD)").fill("0.30");
        await form.getByRole("button", { name: "Save commission" }).click();
        const dialog = page.getByRole("dialog", { name: "Change the commission?" });
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await dialog.waitFor({ state: "detached" });
        await form.getByText("Now: 12.5% + US$0.30 per booking", { exact: false }).waitFor();
        await shoot("settings");
        const admin = await app.request("POST", "/api/v1/auth/login", {
          body: { email: adminEmail, password: strongPassword },
        });
        const saved = await app.request("GET", "/api/v1/admin/settings/commission", {
          token: admin.body.accessToken,
        });
        expect(saved.body).toEqual({ rateBps: 1250, fixedFee: { amount: 30, currency: "usd" } });
        await open("/audit-log", "Audit log");
        await page.getByRole("row", { name: /commission\.update/ }).waitFor();
        await page.getByRole("row", { name: /dispute\.resolve/ }).waitFor();
      },
    },
    {
      name: "shows the server's refusal in its own words",
      run: async () => {
        await open("/users", "Users");
        await page.getByLabel("Name or email").fill(adminEmail);
        await page.getByRole("button", { name: "Search" }).click();
        await page.getByRole("link", { name: "Administrator" }).click();
        await page.getByRole("button", { name: "Suspend" }).click();
        const dialog = page.getByRole("dialog", { name: "Suspend Administrator?" });
        await dialog.getByLabel("Reason").fill("Testing");
        await dialog.getByRole("button", { name: "Confirm" }).click();
        await dialog.getByRole("alert").getByText("Ask another admin to suspend this account").waitFor();
        await dialog.getByRole("button", { name: "Cancel" }).click();
        // Chromium logs the refused request itself; that one line is this step's, and expected.
        expect(consoleErrors.pop()).toMatch(/status of 409/);
      },
    },
    {
      name: "visits every page",
      run: async () => {
        const pages: [string, string, string | RegExp, string?][] = [
          ["users", "/users", "Users", "Carl Customer"],
          ["jobs", "/jobs", "Jobs", "Hang three ceiling lights"],
          ["job-detail", `/jobs/${jobId}`, "Hang three ceiling lights", "No quotes yet."],
          ["bookings", "/bookings", "Bookings", "Install an outdoor socket"],
          ["booking-detail", `/bookings/${bookingId}`, "Install an outdoor socket", "History"],
          ["disputes", "/disputes", "Disputes"],
          ["transactions", "/transactions", "Transactions"],
          ["reviews", "/reviews", "Reviews", "Vera Voltage"],
          ["contractor-detail", `/users/${contractor.id}`, "Vera Voltage", "Reviews of their work"],
          ["settings", "/settings", "Settings"],
        ];
        for (const [name, path, heading, text] of pages) {
          await open(path, heading);
          if (text) await page.getByText(text, { exact: true }).first().waitFor();
          if (name === "transactions")
            await page
              .getByRole("cell", { name: /^payment/ })
              .first()
              .waitFor();
          await shoot(name);
        }
      },
    },
  ];

  for (const step of steps) {
    it(step.name, step.run, 60_000);
  }

  it("logged no error in the browser console", () => {
    expect(consoleErrors).toEqual([]);
  });
});
