import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client.js";
import { ListTable, Loaded, Pager, useCursorList, when } from "../ui.js";

const actions = [
  "user.update",
  "user.suspend",
  "user.reactivate",
  "verification.approve",
  "verification.reject",
  "dispute.resolve",
  "booking.refund",
  "commission.update",
  "review.hide",
  "review.unhide",
];

/** Where an entry's target is shown in this dashboard, when it has a page. */
function targetLink(type: string, id: string): string | undefined {
  if (type === "user") return `/users/${id}`;
  if (type === "booking") return `/bookings/${id}`;
  if (type === "job") return `/jobs/${id}`;
  return undefined;
}

function Change({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value !== "object") return <code>{JSON.stringify(value)}</code>;
  return (
    <span>
      {Object.entries(value as Record<string, unknown>).map(([field, v]) => (
        <span key={field} className="change">
          {field}: <code>{JSON.stringify(v)}</code>
        </span>
      ))}
    </span>
  );
}

type Filters = { action: string; targetType: string; targetId: string };

export function AuditLog() {
  const [filters, setFilters] = useState<Filters>({ action: "", targetType: "", targetId: "" });
  const [draft, setDraft] = useState<Filters>(filters);
  const { action, targetType, targetId } = filters;
  const list = useCursorList(["audit", action, targetType, targetId], (cursor) =>
    ok(
      api.GET("/api/v1/admin/audit-log", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(action ? { action } : {}),
            ...(targetType ? { targetType } : {}),
            ...(targetId ? { targetId } : {}),
          },
        },
      }),
    ),
  );
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({
            action: draft.action.trim(),
            targetType: draft.targetType.trim(),
            targetId: draft.targetId.trim(),
          });
        }}
      >
        <label>
          Action
          <input list="audit-actions" {...field("action")} />
          <datalist id="audit-actions">
            {actions.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label>
          Target type
          <input {...field("targetType")} />
        </label>
        <label>
          Target id
          <input {...field("targetId")} />
        </label>
        <button type="submit">Apply</button>
      </form>
      <Loaded query={list.query} what="The audit log">
        {(page) => (
          <ListTable
            columns={["When", "Admin", "Action", "Target", "Before", "After", "Reason"]}
            items={page.items}
            empty="No entries match."
            row={(entry) => {
              const link = targetLink(entry.targetType, entry.targetId);
              return (
                <tr key={entry.id}>
                  <td>{when(entry.at)}</td>
                  <td>{entry.actor.name}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    {entry.targetType}{" "}
                    {link ? <Link to={link}>{entry.targetId}</Link> : <code>{entry.targetId}</code>}
                  </td>
                  <td>
                    <Change value={entry.before} />
                  </td>
                  <td>
                    <Change value={entry.after} />
                  </td>
                  <td>{entry.reason ?? <span className="muted">—</span>}</td>
                </tr>
              );
            }}
          />
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}
