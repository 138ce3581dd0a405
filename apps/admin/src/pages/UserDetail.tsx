import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ok, type Schemas } from "../api/client.js";
import { Badge, ConfirmButton, ErrorNote, Loaded, money, when } from "../ui.js";
import { BookingTable } from "./Bookings.js";
import { ReviewList } from "./Reviews.js";

type User = Schemas["User"];

export function UserDetail() {
  const { id = "" } = useParams();
  const user = useQuery({
    queryKey: ["user", id],
    queryFn: () => ok(api.GET("/api/v1/admin/users/{id}", { params: { path: { id } } })),
  });
  return (
    <section>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <Loaded query={user} what="This user">
        {(found) => <Profile user={found} />}
      </Loaded>
    </section>
  );
}

function Profile({ user }: { user: User }) {
  const client = useQueryClient();
  const update = async (body: Schemas["AdminUpdateUser"]) => {
    const updated = await ok(
      api.PATCH("/api/v1/admin/users/{id}", { params: { path: { id: user.id } }, body }),
    );
    client.setQueryData(["user", user.id], updated);
    await client.invalidateQueries({ queryKey: ["users"] });
    await client.invalidateQueries({ queryKey: ["audit"] });
  };
  const bookings = useQuery({
    queryKey: ["bookings", "of", user.id],
    queryFn: () =>
      ok(api.GET("/api/v1/admin/bookings", { params: { query: { userId: user.id, limit: 20 } } })),
  });
  const jobs = useQuery({
    queryKey: ["jobs", "of", user.id],
    enabled: user.role !== "admin",
    queryFn: () =>
      ok(
        api.GET("/api/v1/admin/jobs", {
          params: {
            query:
              user.role === "contractor"
                ? { contractorId: user.id, limit: 20 }
                : { customerId: user.id, limit: 20 },
          },
        }),
      ),
  });
  return (
    <>
      <header className="page-header">
        <h1>{user.name}</h1>
        <Badge value={user.status} />
      </header>
      <dl className="facts">
        <dt>Email</dt>
        <dd>
          {user.email} {user.emailVerified ? "(verified)" : "(not verified)"}
        </dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Phone</dt>
        <dd>{user.phone ?? "—"}</dd>
        <dt>Joined</dt>
        <dd>{when(user.createdAt)}</dd>
      </dl>
      {user.role === "contractor" && <LedgerBalance contractorId={user.id} />}
      {user.status !== "deleted" && (
        <div className="actions">
          {user.status === "active" ? (
            <ConfirmButton
              label="Suspend"
              title={`Suspend ${user.name}?`}
              message="They are signed out on every device at once, their live connections close, and they cannot sign in until reactivated."
              reason="required"
              danger
              onConfirm={(reason) => update({ status: "suspended", ...(reason ? { reason } : {}) })}
            />
          ) : (
            <ConfirmButton
              label="Reactivate"
              title={`Reactivate ${user.name}?`}
              message="They can sign in again."
              onConfirm={(reason) => update({ status: "active", ...(reason ? { reason } : {}) })}
            />
          )}
        </div>
      )}
      {user.status !== "deleted" && <EditForm user={user} save={update} />}
      <h2>Bookings</h2>
      <Loaded query={bookings} what="Bookings">
        {(page) => <BookingTable bookings={page.items} />}
      </Loaded>
      {user.role !== "admin" && (
        <>
          <h2>{user.role === "contractor" ? "Reviews of their work" : "Reviews they wrote"}</h2>
          <ReviewList
            scope={user.role === "contractor" ? { contractorId: user.id } : { customerId: user.id }}
            limit={10}
          />
          <h2>Jobs</h2>
          <Loaded query={jobs} what="Jobs">
            {(page) =>
              page.items.length === 0 ? (
                <p className="muted">No jobs.</p>
              ) : (
                <table>
                  <tbody>
                    {page.items.map((job) => (
                      <tr key={job.id}>
                        <td>
                          <Link to={`/jobs/${job.id}`}>{job.title}</Link>
                        </td>
                        <td>
                          <Badge value={job.status} />
                        </td>
                        <td>{when(job.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </Loaded>
        </>
      )}
    </>
  );
}

function EditForm({ user, save }: { user: User; save: (body: Schemas["AdminUpdateUser"]) => Promise<void> }) {
  const [name, setName] = useState(user.name);
  const [phone, setPhone] = useState(user.phone ?? "");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const mutation = useMutation({
    mutationFn: () =>
      save({
        ...(name !== user.name ? { name } : {}),
        ...(phone !== (user.phone ?? "") ? { phone: phone === "" ? null : phone } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onSuccess: () => {
      setConfirming(false);
      setReason("");
    },
  });
  const changed = name !== user.name || phone !== (user.phone ?? "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (confirming) mutation.mutate();
    else setConfirming(true);
  };
  return (
    <form className="edit" onSubmit={submit} aria-label="Edit user">
      <h2>Edit</h2>
      <label>
        Name
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={100} />
      </label>
      <label>
        Phone
        <input value={phone} onChange={(event) => setPhone(event.target.value)} placeholder="+447700900123" />
      </label>
      <label>
        Reason (optional)
        <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
      </label>
      <ErrorNote error={mutation.error} />
      {confirming ? (
        <div className="actions">
          <span>Save these changes to {user.name}'s account?</span>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={mutation.isPending}>
            Confirm
          </button>
        </div>
      ) : (
        <button type="submit" disabled={!changed}>
          Save changes
        </button>
      )}
    </form>
  );
}

/**
 * What the ledger holds for a contractor: released earnings not yet withdrawn (owed by the platform, so a
 * credit, shown positive) and what sits in their connected account waiting for a payout.
 */
function LedgerBalance({ contractorId }: { contractorId: string }) {
  const accounts = [
    ["contractor_payable", "Available to withdraw", -1],
    ["contractor_transferred", "In their Stripe account, not yet paid out", 1],
  ] as const;
  const balances = useQuery({
    queryKey: ["ledger", "balances", contractorId],
    queryFn: () =>
      Promise.all(
        accounts.map(([account]) =>
          ok(
            api.GET("/api/v1/admin/ledger/balances", {
              params: { query: { accountPrefix: `${account}:${contractorId}`, limit: 20 } },
            }),
          ),
        ),
      ),
  });
  return (
    <>
      <h2>Ledger balance</h2>
      <Loaded query={balances} what="The ledger">
        {(pages) => (
          <table className="compact">
            <tbody>
              {accounts.map(([account, label, sign], index) => {
                const rows = pages[index]?.items ?? [];
                return (
                  <tr key={account}>
                    <th scope="row">{label}</th>
                    <td>
                      {rows.length === 0
                        ? money({ amount: 0, currency: "gbp" })
                        : rows
                            .map((row) => money({ amount: sign * row.balance, currency: row.currency }))
                            .join(" + ")}
                    </td>
                    <td>
                      <Link to={`/transactions?account=${account}:${contractorId}`}>Transactions</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Loaded>
    </>
  );
}
