import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { callDeclaredRoute, type Money } from "../api/client.js";
import { Badge, ConfirmButton, Loaded, money, type Page, Pager, useCursorList, when } from "../ui.js";

/*
 * Disputes, ledger transactions and the commission are the payments and ledger modules' routes (API.md § Admin).
 * They are called untyped until this server's document declares them; while a route answers 404, the page
 * says the feature is not available here.
 */

interface Dispute {
  id: string;
  status?: string;
  disputeReason?: string | null;
  price?: Money;
  customer?: { id: string; name: string };
  contractor?: { id: string; name: string };
  booking?: { id: string; description?: string; price?: Money; status?: string };
  openedAt?: string;
  createdAt?: string;
}

export function Disputes() {
  const client = useQueryClient();
  const list = useCursorList(["disputes"], (cursor) =>
    callDeclaredRoute<Page<Dispute>>(
      "GET",
      "/admin/disputes",
      `/admin/disputes?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    ),
  );
  return (
    <section>
      <h1>Disputes</h1>
      <Loaded query={list.query} what="Dispute handling">
        {(page) => (
          <div className="stack">
            {page.items.length === 0 && <p className="muted">No open disputes.</p>}
            {page.items.map((dispute) => {
              const booking = dispute.booking ?? dispute;
              const price = dispute.booking?.price ?? dispute.price;
              return (
                <article className="panel" key={dispute.id} aria-label={`Dispute ${dispute.id}`}>
                  <header className="page-header">
                    <h2>
                      <Link to={`/bookings/${dispute.booking?.id ?? dispute.id}`}>
                        {dispute.booking?.description ?? `Booking ${dispute.id}`}
                      </Link>
                    </h2>
                    {booking.status && <Badge value={booking.status} />}
                  </header>
                  <p>
                    {dispute.customer?.name ?? "Customer"} against {dispute.contractor?.name ?? "contractor"}{" "}
                    · {money(price)} · {when(dispute.openedAt ?? dispute.createdAt)}
                  </p>
                  {dispute.disputeReason && <p>“{dispute.disputeReason}”</p>}
                  {price && (
                    <Resolve
                      id={dispute.id}
                      price={price}
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

function Resolve({ id, price, done }: { id: string; price: Money; done: () => Promise<unknown> }) {
  const [refund, setRefund] = useState("0");
  const amount = Math.round(Number(refund) * 100);
  const valid = Number.isFinite(amount) && amount >= 0 && amount <= price.amount;
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
          label="Resolve"
          title="Resolve this dispute?"
          message={`${money({ amount, currency: price.currency })} goes back to the customer and ${money({ amount: price.amount - amount, currency: price.currency })} to the contractor.`}
          reason="required"
          onConfirm={async (note) => {
            await callDeclaredRoute("POST", "/admin/disputes/{id}/resolve", `/admin/disputes/${id}/resolve`, {
              refundAmount: { amount, currency: price.currency },
              note,
            });
            await done();
          }}
        />
      )}
    </div>
  );
}

interface LedgerTransaction {
  id: string;
  kind?: string;
  type?: string;
  description?: string;
  bookingId?: string | null;
  amount?: Money;
  postedAt?: string;
  createdAt?: string;
  entries?: { account: string; amount: number; currency?: string; direction?: string }[];
}

export function Transactions() {
  const list = useCursorList(["transactions"], (cursor) =>
    callDeclaredRoute<Page<LedgerTransaction>>(
      "GET",
      "/admin/transactions",
      `/admin/transactions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    ),
  );
  return (
    <section>
      <h1>Transactions</h1>
      <Loaded query={list.query} what="The ledger">
        {(page) => (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Kind</th>
                <th>Booking</th>
                <th>Amount</th>
                <th>Entries</th>
              </tr>
            </thead>
            <tbody>
              {page.items.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No transactions.
                  </td>
                </tr>
              )}
              {page.items.map((transaction) => (
                <tr key={transaction.id}>
                  <td>{when(transaction.postedAt ?? transaction.createdAt)}</td>
                  <td>{transaction.kind ?? transaction.type ?? transaction.description ?? "—"}</td>
                  <td>
                    {transaction.bookingId ? (
                      <Link to={`/bookings/${transaction.bookingId}`}>{transaction.bookingId}</Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>{money(transaction.amount)}</td>
                  <td>
                    {(transaction.entries ?? []).map((entry) => (
                      <div key={`${entry.account}-${entry.amount}`}>
                        <code>{entry.account}</code> {entry.amount}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}

interface Commission {
  rateBps: number;
  fixedFee: Money;
}

export function Settings() {
  const query = useQuery({
    queryKey: ["commission"],
    queryFn: () =>
      callDeclaredRoute<Commission>("GET", "/admin/settings/commission", "/admin/settings/commission"),
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
  const submit = (event: FormEvent) => event.preventDefault();
  return (
    <form className="edit" onSubmit={submit} aria-label="Commission">
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
          const saved = await callDeclaredRoute<Commission>(
            "PUT",
            "/admin/settings/commission",
            "/admin/settings/commission",
            next,
          );
          client.setQueryData(["commission"], saved);
        }}
      />
    </form>
  );
}
