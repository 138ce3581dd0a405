import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ok } from "../api/client.js";
import { Badge, Choice, ListTable, Loaded, money, Pager, Search, useCursorList, when } from "../ui.js";
import { useCategories } from "./categories.js";

const statuses = ["open", "assigned", "cancelled", "expired"] as const;

export function Jobs() {
  const [status, setStatus] = useState("");
  const [category, setCategory] = useState("");
  const [q, setQ] = useState("");
  const categories = useCategories();
  const list = useCursorList(["jobs", status, category, q], (cursor) =>
    ok(
      api.GET("/api/v1/admin/jobs", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(status ? { status: status as (typeof statuses)[number] } : {}),
            ...(category ? { category } : {}),
            ...(q ? { q } : {}),
          },
        },
      }),
    ),
  );
  return (
    <section>
      <h1>Jobs</h1>
      <div className="filters">
        <Search label="Title" onChange={setQ} />
        <Choice label="Status" value={status} options={statuses} onChange={setStatus} />
        <Choice label="Category" value={category} options={categories} onChange={setCategory} />
      </div>
      <Loaded query={list.query} what="The job list">
        {(page) => (
          <ListTable
            columns={["Title", "Category", "Status", "Budget", "Quotes", "Posted"]}
            items={page.items}
            empty="No jobs match."
            row={(job) => (
              <tr key={job.id}>
                <td>
                  <Link to={`/jobs/${job.id}`}>{job.title}</Link>
                </td>
                <td>{job.categorySlug}</td>
                <td>
                  <Badge value={job.status} />
                </td>
                <td>{money(job.budget)}</td>
                <td>{job.quoteCount ?? 0}</td>
                <td>{when(job.createdAt)}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}

export function JobDetail() {
  const { id = "" } = useParams();
  const query = useQuery({
    queryKey: ["job", id],
    queryFn: () => ok(api.GET("/api/v1/admin/jobs/{id}", { params: { path: { id } } })),
  });
  return (
    <section>
      <p>
        <Link to="/jobs">← Jobs</Link>
      </p>
      <Loaded query={query} what="This job">
        {({ job, quotes }) => (
          <>
            <header className="page-header">
              <h1>{job.title}</h1>
              <Badge value={job.status} />
            </header>
            <p>{job.description}</p>
            <dl className="facts">
              <dt>Customer</dt>
              <dd>
                <Link to={`/users/${job.customerId}`}>{job.customerId}</Link>
              </dd>
              <dt>Category</dt>
              <dd>{job.categorySlug}</dd>
              <dt>Where</dt>
              <dd>{job.location.address ?? `${job.location.lat}, ${job.location.lng}`}</dd>
              <dt>Budget</dt>
              <dd>{money(job.budget)}</dd>
              <dt>Preferred start</dt>
              <dd>{when(job.preferredStart)}</dd>
              <dt>Posted</dt>
              <dd>{when(job.createdAt)}</dd>
              <dt>Takes quotes until</dt>
              <dd>{when(job.expiresAt)}</dd>
              {job.bookingId && (
                <>
                  <dt>Booking</dt>
                  <dd>
                    <Link to={`/bookings/${job.bookingId}`}>{job.bookingId}</Link>
                  </dd>
                </>
              )}
            </dl>
            <h2>Quotes</h2>
            {quotes.length === 0 ? (
              <p className="muted">No quotes yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Contractor</th>
                    <th>Price</th>
                    <th>Status</th>
                    <th>Message</th>
                    <th>Sent</th>
                    <th>Decided</th>
                  </tr>
                </thead>
                <tbody>
                  {quotes.map((quote) => (
                    <tr key={quote.id}>
                      <td>
                        <Link to={`/users/${quote.contractorId}`}>{quote.contractorName}</Link>
                      </td>
                      <td>{money(quote.price)}</td>
                      <td>
                        <Badge value={quote.status} />
                        {quote.closedReason && (
                          <span className="muted"> ({quote.closedReason.replace(/_/g, " ")})</span>
                        )}
                      </td>
                      <td>{quote.message}</td>
                      <td>{when(quote.createdAt)}</td>
                      <td>{when(quote.decidedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
