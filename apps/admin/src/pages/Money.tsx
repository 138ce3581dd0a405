import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type Money, ok, type Schemas } from "../api/client.js";
import {
  Badge,
  Choice,
  ConfirmButton,
  ListTable,
  Loaded,
  money,
  Pager,
  Search,
  useCursorList,
  when,
} from "../ui.js";
import { Transcript } from "./Transcript.js";

type Dispute = Schemas["Dispute"];
type LedgerTransaction = Schemas["LedgerTransaction"];
type Commission = Schemas["CommissionSettings"];

export function Disputes() {
  const client = useQueryClient();
  const list = useCursorList(["disputes"], (cursor) =>
    ok(
      api.GET("/api/v1/admin/disputes", { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } }),
    ),
  );
  return (
    <section>
      <h1>Disputes</h1>
      <Loaded query={list.query} what="Dispute handling">
        {(page) => (
          <div className="stack">
            {page.items.length === 0 && <p className="muted">No open disputes.</p>}
            {page.items.map((dispute: Dispute) => {
              const { booking } = dispute;
              return (
                <article className="panel" key={booking.id} aria-label={`Dispute ${booking.id}`}>
                  <header className="page-header">
                    <h2>
                      <Link to={`/bookings/${booking.id}`}>{booking.description}</Link>
                    </h2>
                    <Badge value={booking.status} />
                  </header>
                  <p>
                    {booking.customer.name} against {booking.contractor.name} · {money(booking.price)} ·{" "}
                    {when(booking.updatedAt)}
                  </p>
                  {booking.disputeReason && (
                    <p>
                      <strong>{booking.customer.name} (customer):</strong> “{booking.disputeReason}”
                    </p>
                  )}
                  {booking.disputeResponse ? (
                    <p>
                      <strong>{booking.contractor.name} (contractor):</strong> “
                      {booking.disputeResponse.statement}”{" "}
                      <span className="muted">{when(booking.disputeResponse.at)}</span>
                    </p>
                  ) : (
                    booking.status === "disputed" && (
                      <p className="muted">{booking.contractor.name} has not stated their side yet.</p>
                    )
                  )}
                  {dispute.chargebacks.map((chargeback) => (
                    <p key={chargeback.id} className="muted">
                      Chargeback {chargeback.status}: {money(chargeback.amount)} ({chargeback.reason})
                    </p>
                  ))}
                  <Transcript customer={booking.customer} contractor={booking.contractor} />
                  {(booking.status === "disputed" || booking.status === "released") && (
                    <Refund
                      id={booking.id}
                      price={booking.price}
                      // A chargeback on money already released: the booking stays released, and a refund after
                      // release is the admin's answer to it.
                      afterRelease={booking.status === "released"}
                      done={() => client.invalidateQueries({ queryKey: ["disputes"] })}
                    />
                  )}
                </article>
              );
            })}
          </div>
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}

/**
 * The admin's answer to a dispute: on a disputed booking, how much of the held money goes back to the customer
 * (the rest is released); on a released one, how much to refund, reversed from the contractor's Transfer.
 */
function Refund({
  id,
  price,
  afterRelease,
  done,
}: {
  id: string;
  price: Money;
  afterRelease: boolean;
  done: () => Promise<unknown>;
}) {
  const [refund, setRefund] = useState("0");
  const amount = Math.round(Number(refund) * 100);
  // Resolving may refund nothing (all released); a refund after release is of something.
  const valid = Number.isFinite(amount) && amount >= (afterRelease ? 1 : 0) && amount <= price.amount;
  const refunded = money({ amount, currency: price.currency });
  const request = (note: string) => ({
    params: { path: { id } },
    body: { refundAmount: { amount, currency: price.currency }, note },
  });
  const answer = afterRelease
    ? {
        label: "Refund after release",
        title: "Refund this released booking?",
        message: `${refunded} goes back to the customer; the contractor's transfer is reversed for their share of it.`,
        send: (note: string) => ok(api.POST("/api/v1/admin/bookings/{id}/refund", request(note))),
      }
    : {
        label: "Resolve",
        title: "Resolve this dispute?",
        message: `${refunded} goes back to the customer and ${money({ amount: price.amount - amount, currency: price.currency })} to the contractor.`,
        send: (note: string) => ok(api.POST("/api/v1/admin/disputes/{id}/resolve", request(note))),
      };
  return (
    <div className="actions">
      <label>
        Refund to the customer ({price.currency.toUpperCase()})
        <input
          type="number"
          min={0}
          step="0.01"
          max={price.amount / 100}
          value={refund}
          onChange={(e) => setRefund(e.target.value)}
        />
      </label>
      {valid && (
        <ConfirmButton
          label={answer.label}
          title={answer.title}
          message={answer.message}
          reason="required"
          onConfirm={async (note) => {
            await answer.send(note ?? "");
            await done();
          }}
        />
      )}
    </div>
  );
}

/** What a transaction moved: its debits (its credits are the same amount, negative). */
function movedAmount(transaction: LedgerTransaction): number {
  return transaction.entries.reduce((sum, entry) => sum + Math.max(entry.amount, 0), 0);
}

/** What the payments module records (`kind` of its ledger postings). */
const ledgerKinds = [
  "payment",
  "release",
  "refund",
  "refund_settled",
  "reversal",
  "withdrawal",
  "payout_paid",
  "payout_failed",
] as const;

/** The ledger's transactions, filtered by kind and account (the URL keeps the account: user pages link here). */
export function Transactions() {
  const [params, setParams] = useSearchParams();
  const [kind, setKind] = useState("");
  const account = params.get("account") ?? "";
  const list = useCursorList(["transactions", kind, account], (cursor) =>
    ok(
      api.GET("/api/v1/admin/transactions", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(kind ? { kind } : {}),
            ...(account ? { account } : {}),
          },
        },
      }),
    ),
  );
  return (
    <section>
      <h1>Transactions</h1>
      <div className="filters">
        <Search
          label="Account"
          initial={account}
          onChange={(value) => setParams(value ? { account: value } : {})}
        />
        <Choice label="Kind" value={kind} options={ledgerKinds} onChange={setKind} />
      </div>
      <Loaded query={list.query} what="The ledger">
        {(page) => (
          <ListTable
            columns={["When", "Kind", "Booking", "Amount", "Entries"]}
            items={page.items}
            empty="No transactions."
            row={(transaction: LedgerTransaction) => (
              <tr key={transaction.id}>
                <td>{when(transaction.createdAt)}</td>
                <td>
                  {transaction.kind}
                  {transaction.memo && <div className="muted">{transaction.memo}</div>}
                </td>
                <td>
                  {transaction.bookingId ? (
                    <Link to={`/bookings/${transaction.bookingId}`}>{transaction.bookingId}</Link>
                  ) : (
                    "—"
                  )}
                </td>
                <td>{money({ amount: movedAmount(transaction), currency: transaction.currency })}</td>
                <td>
                  {transaction.entries.map((entry) => (
                    <div key={`${entry.account}-${entry.amount}`}>
                      <code>{entry.account}</code>{" "}
                      {money({ amount: entry.amount, currency: transaction.currency })}
                    </div>
                  ))}
                </td>
              </tr>
            )}
          />
        )}
      </Loaded>
      <Pager list={list} />
      <Balances />
    </section>
  );
}

/** Per-account balances, by account name, signed like entries (what is owed or earned is negative). */
function Balances() {
  const [prefix, setPrefix] = useState("");
  const list = useCursorList(["balances", prefix], (cursor) =>
    ok(
      api.GET("/api/v1/admin/ledger/balances", {
        params: {
          query: { limit: 20, ...(cursor ? { cursor } : {}), ...(prefix ? { accountPrefix: prefix } : {}) },
        },
      }),
    ),
  );
  return (
    <>
      <h2>Balances</h2>
      <p className="muted">
        Signed like entries: the platform's cash and contractors' connected accounts are positive; what is
        held, owed or earned is negative. Every currency sums to zero.
      </p>
      <div className="filters">
        <Search label="Account starts with" onChange={setPrefix} />
      </div>
      <Loaded query={list.query} what="Balances">
        {(page) => (
          <ListTable
            className="compact"
            columns={["Account", "Balance", ""]}
            items={page.items}
            empty="No balances."
            row={(row) => (
              <tr key={`${row.account}-${row.currency}`}>
                <td>
                  <code>{row.account}</code>
                </td>
                <td>{money({ amount: row.balance, currency: row.currency })}</td>
                <td>
                  <Link to={`/transactions?account=${row.account}`}>Transactions</Link>
                </td>
              </tr>
            )}
          />
        )}
      </Loaded>
      <Pager list={list} />
    </>
  );
}

export function Settings() {
  const query = useQuery({
    queryKey: ["commission"],
    queryFn: () => ok(api.GET("/api/v1/admin/settings/commission")),
  });
  return (
    <section>
      <h1>Settings</h1>
      <h2>Commission</h2>
      <Loaded query={query} what="Commission settings">
        {(commission) => <CommissionForm current={commission} />}
      </Loaded>
    </section>
  );
}

function CommissionForm({ current }: { current: Commission }) {
  const client = useQueryClient();
  const [percent, setPercent] = useState(String(current.rateBps / 100));
  const [fee, setFee] = useState(String(current.fixedFee.amount / 100));
  const next: Commission = {
    rateBps: Math.round(Number(percent) * 100),
    fixedFee: { amount: Math.round(Number(fee) * 100), currency: current.fixedFee.currency },
  };
  return (
    // Not a <form>: the confirmation dialog holds one of its own, and forms cannot nest.
    <section className="edit" aria-label="Commission">
      <p>
        Now: {current.rateBps / 100}% + {money(current.fixedFee)} per booking, frozen on each booking when it
        is paid.
      </p>
      <label>
        Rate (%)
        <input
          type="number"
          min={0}
          max={100}
          step="0.01"
          value={percent}
          onChange={(e) => setPercent(e.target.value)}
        />
      </label>
      <label>
        Fixed fee ({current.fixedFee.currency.toUpperCase()})
        <input type="number" min={0} step="0.01" value={fee} onChange={(e) => setFee(e.target.value)} />
      </label>
      <ConfirmButton
        label="Save commission"
        title="Change the commission?"
        reason="none"
        message={`New bookings will pay ${next.rateBps / 100}% + ${money(next.fixedFee)}; bookings already paid keep theirs.`}
        onConfirm={async () => {
          const saved = await ok(api.PUT("/api/v1/admin/settings/commission", { body: next }));
          client.setQueryData(["commission"], saved);
        }}
      />
    </section>
  );
}
