import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ok, type Schemas } from "../api/client.js";
import { Badge, Choice, ListTable, Loaded, money, Pager, useCursorList, when } from "../ui.js";
import { useCategories } from "./categories.js";

type Status = Schemas["BookingStatus"];
const statuses: Status[] = [
  "requested",
  "accepted",
  "declined",
  "expired",
  "funded",
  "in_progress",
  "completed",
  "released",
  "disputed",
  "refunded",
  "partially_refunded",
  "cancelled",
];

export function Bookings() {
  const [status, setStatus] = useState("");
  const [category, setCategory] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const categories = useCategories();
  const list = useCursorList(["bookings", status, category, from, to], (cursor) =>
    ok(
      api.GET("/api/v1/admin/bookings", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(status ? { status: [status as Status] } : {}),
            ...(category ? { category } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          },
        },
      }),
    ),
  );
  return (
    <section>
      <h1>Bookings</h1>
      <div className="filters">
        <Choice label="Status" value={status} options={statuses} onChange={setStatus} />
        <Choice label="Category" value={category} options={categories} onChange={setCategory} />
        <label>
          Made from
          <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          until
          <input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
      </div>
      <Loaded query={list.query} what="The booking list">
        {(page) => <BookingTable bookings={page.items} />}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}

export function BookingTable({ bookings }: { bookings: Schemas["Booking"][] }) {
  return (
    <ListTable
      columns={["Work", "Customer", "Contractor", "Status", "Price", "Starts"]}
      items={bookings}
      empty="No bookings match."
      row={(booking) => (
        <tr key={booking.id}>
          <td>
            <Link to={`/bookings/${booking.id}`}>{booking.description}</Link>
          </td>
          <td>
            <Link to={`/users/${booking.customer.id}`}>{booking.customer.name}</Link>
          </td>
          <td>
            <Link to={`/users/${booking.contractor.id}`}>{booking.contractor.name}</Link>
          </td>
          <td>
            <Badge value={booking.status} />
          </td>
          <td>{money(booking.price)}</td>
          <td>{when(booking.scheduledStart)}</td>
        </tr>
      )}
    />
  );
}

export function BookingDetail() {
  const { id = "" } = useParams();
  const query = useQuery({
    queryKey: ["booking", id],
    queryFn: () => ok(api.GET("/api/v1/admin/bookings/{id}", { params: { path: { id } } })),
  });
  return (
    <section>
      <p>
        <Link to="/bookings">← Bookings</Link>
      </p>
      <Loaded query={query} what="This booking">
        {(booking) => <BookingFacts booking={booking} />}
      </Loaded>
    </section>
  );
}

export function BookingFacts({ booking }: { booking: Schemas["Booking"] }) {
  const names = new Map([
    [booking.customer.id, `${booking.customer.name} (customer)`],
    [booking.contractor.id, `${booking.contractor.name} (contractor)`],
  ]);
  return (
    <>
      <header className="page-header">
        <h1>{booking.description}</h1>
        <Badge value={booking.status} />
      </header>
      <dl className="facts">
        <dt>Customer</dt>
        <dd>
          <Link to={`/users/${booking.customer.id}`}>{booking.customer.name}</Link>
        </dd>
        <dt>Contractor</dt>
        <dd>
          <Link to={`/users/${booking.contractor.id}`}>{booking.contractor.name}</Link>
        </dd>
        <dt>Category</dt>
        <dd>{booking.categorySlug}</dd>
        <dt>When</dt>
        <dd>
          {when(booking.scheduledStart)}
          {booking.scheduledEnd ? ` – ${when(booking.scheduledEnd)}` : ""}
        </dd>
        <dt>Where</dt>
        <dd>{booking.location.address}</dd>
        <dt>Price</dt>
        <dd>{money(booking.price)}</dd>
        <dt>Commission</dt>
        <dd>{money(booking.commission)}</dd>
        <dt>Contractor receives</dt>
        <dd>{money(booking.contractorAmount)}</dd>
        <dt>Refund</dt>
        <dd>{money(booking.refundAmount)}</dd>
        {booking.disputeReason && (
          <>
            <dt>Dispute</dt>
            <dd>{booking.disputeReason}</dd>
          </>
        )}
      </dl>
      <h2>History</h2>
      <ol className="history">
        {booking.history.map((entry) => (
          <li key={`${entry.at}-${entry.status}`}>
            <Badge value={entry.status} /> {when(entry.at)} by{" "}
            {entry.by === "system" ? "the system" : (names.get(entry.by) ?? `admin ${entry.by}`)}
            {entry.note && <span className="muted"> — {entry.note}</span>}
          </li>
        ))}
      </ol>
    </>
  );
}
