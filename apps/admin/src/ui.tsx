import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { ApiError, isMissingRoute, type Money } from "./api/client.js";

export function money(value: Money | null | undefined): string {
  if (!value) return "—";
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: value.currency.toUpperCase() }).format(
    value.amount / 100,
  );
}

export function moneyList(values: Money[] | null | undefined): string {
  if (!values) return "—";
  return values.length === 0 ? money({ amount: 0, currency: "gbp" }) : values.map(money).join(" + ");
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
}

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value}`}>{value.replace(/_/g, " ")}</span>;
}

/** The server's own words when it refused: its problem `detail`, and the field errors if any. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : undefined;
  return (
    <div className="error" role="alert">
      {problem?.detail ?? (error instanceof Error ? error.message : "Something went wrong")}
      {problem?.errors && (
        <ul>
          {problem.errors.map((field) => (
            <li key={`${field.in}.${field.path}`}>
              <code>{field.path}</code> {field.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function NotAvailable({ what }: { what: string }) {
  return (
    <div className="notice" role="status">
      {what} is not available on this server yet. This page lights up once the server offers it.
    </div>
  );
}

/** A query's state as a page shows it: loading, the server's refusal, a route this server lacks, or the data. */
export function Loaded<T>({
  query,
  what,
  children,
}: {
  query: { data?: T; error: unknown; isPending: boolean };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (isMissingRoute(query.error)) return <NotAvailable what={what} />;
  if (query.error) return <ErrorNote error={query.error} />;
  if (query.isPending || query.data === undefined) return <p className="muted">Loading…</p>;
  return <>{children(query.data)}</>;
}

/** A list's table: its column headings, a row saying so when there is nothing, then one row per item. */
export function ListTable<T>({
  columns,
  items,
  empty,
  row,
  className,
}: {
  columns: readonly string[];
  items: readonly T[];
  empty: string;
  row: (item: T) => ReactNode;
  className?: string;
}) {
  return (
    <table className={className}>
      <thead>
        <tr>
          {columns.map((column, index) => (
            // Action columns have no heading: the position tells them apart.
            // biome-ignore lint/suspicious/noArrayIndexKey: the columns of a table never move
            <th key={index}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.length === 0 && (
          <tr>
            <td colSpan={columns.length} className="muted">
              {empty}
            </td>
          </tr>
        )}
        {items.map(row)}
      </tbody>
    </table>
  );
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read page by page: the cursors of the pages before are kept so "Previous" goes back exactly, and
 * changing a filter starts again from the first page.
 */
export function useCursorList<T>(key: unknown[], load: (cursor: string | undefined) => Promise<Page<T>>) {
  const [trail, setTrail] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: JSON.stringify(key),
    cursors: [undefined],
  });
  const keyText = JSON.stringify(key);
  const cursors = trail.key === keyText ? trail.cursors : [undefined];
  const cursor = cursors.at(-1);
  const query = useQuery({
    queryKey: [...key, cursor],
    queryFn: () => load(cursor),
    placeholderData: keepPreviousData,
  });
  return {
    query,
    pageNumber: cursors.length,
    next: query.data?.nextCursor
      ? () => setTrail({ key: keyText, cursors: [...cursors, query.data?.nextCursor ?? undefined] })
      : undefined,
    previous:
      cursors.length > 1 ? () => setTrail({ key: keyText, cursors: cursors.slice(0, -1) }) : undefined,
  };
}

export function Pager({ list }: { list: { pageNumber: number; next?: () => void; previous?: () => void } }) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={list.previous} disabled={!list.previous}>
        ← Previous
      </button>
      <span>Page {list.pageNumber}</span>
      <button type="button" onClick={list.next} disabled={!list.next}>
        Next →
      </button>
    </nav>
  );
}

/**
 * A button whose action asks first: a dialog says what will happen, takes a reason when one is asked for,
 * and shows the server's refusal in its own words.
 */
export function ConfirmButton({
  label,
  title,
  message,
  reason = "optional",
  danger = false,
  onConfirm,
}: {
  label: string;
  title: string;
  message: ReactNode;
  reason?: "required" | "optional" | "none";
  danger?: boolean;
  onConfirm: (reason: string | undefined) => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(text.trim() === "" ? undefined : text.trim());
      setOpen(false);
      setText("");
    } catch (refused) {
      setError(refused);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={danger ? "danger" : "primary"} onClick={() => setOpen(true)}>
        {label}
      </button>
      {open && (
        <div className="overlay">
          <form className="dialog" role="dialog" aria-modal="true" aria-label={title} onSubmit={submit}>
            <h2>{title}</h2>
            <div>{message}</div>
            {reason !== "none" && (
              <label>
                Reason{reason === "required" ? "" : " (optional)"}
                <textarea
                  value={text}
                  onChange={(event) => setText(event.target.value)}
                  required={reason === "required"}
                  maxLength={500}
                  rows={3}
                />
              </label>
            )}
            <ErrorNote error={error} />
            <div className="actions">
              <button type="button" onClick={() => setOpen(false)} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className={danger ? "danger" : "primary"} disabled={busy}>
                Confirm
              </button>
            </div>
          </form>
        </div>
      )}
    </>
  );
}

/** A filter bar's select: the empty choice means "any". */
export function Choice({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option.replace(/_/g, " ")}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A search box: the list is asked again when it is submitted, not on every key. */
export function Search({
  label,
  initial = "",
  onChange,
}: {
  label: string;
  initial?: string;
  onChange: (value: string) => void;
}) {
  const [text, setText] = useState(initial);
  return (
    <form
      className="search"
      onSubmit={(event) => {
        event.preventDefault();
        onChange(text.trim());
      }}
    >
      <label>
        {label}
        <input type="search" value={text} onChange={(event) => setText(event.target.value)} />
      </label>
      <button type="submit">Search</button>
    </form>
  );
}
