import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, ok, type Schemas } from "../api/client.js";
import { Badge, Choice, ConfirmButton, ListTable, Loaded, Pager, useCursorList, when } from "../ui.js";

type Review = Schemas["AdminReview"];

const statuses = ["visible", "hidden"] as const;

/** Whose reviews a list shows: everyone's, one contractor's, or what one customer wrote. */
export type ReviewScope = { contractorId: string } | { customerId: string } | Record<string, never>;

export function Reviews() {
  const [status, setStatus] = useState("");
  return (
    <section>
      <h1>Reviews</h1>
      <div className="filters">
        <Choice label="Status" value={status} options={statuses} onChange={setStatus} />
      </div>
      <ReviewList scope={{}} status={status as (typeof statuses)[number] | ""} />
    </section>
  );
}

/** Reviews newest first, each with hide or show again (asking for the reason), paged. */
export function ReviewList({
  scope,
  status = "",
  limit = 20,
}: {
  scope: ReviewScope;
  status?: (typeof statuses)[number] | "";
  limit?: number;
}) {
  const client = useQueryClient();
  const list = useCursorList(["reviews", scope, status, limit], (cursor) =>
    ok(
      api.GET("/api/v1/admin/reviews", {
        params: { query: { limit, ...scope, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const moderate = async (review: Review, action: "hide" | "unhide", reason: string | undefined) => {
    const params = { path: { id: review.id } };
    if (action === "hide") {
      await ok(api.POST("/api/v1/admin/reviews/{id}/hide", { params, body: { reason: reason ?? "" } }));
    } else {
      await ok(api.POST("/api/v1/admin/reviews/{id}/unhide", { params, body: reason ? { reason } : {} }));
    }
    await client.invalidateQueries({ queryKey: ["reviews"] });
    await client.invalidateQueries({ queryKey: ["audit"] });
  };
  return (
    <>
      <Loaded query={list.query} what="Reviews">
        {(page) => (
          <ListTable
            columns={["Rating", "Review", "Customer", "Contractor", "Written", "Status", ""]}
            items={page.items}
            empty="No reviews."
            row={(review: Review) => (
              <tr key={review.id}>
                <td aria-label={`${review.rating} of 5`}>
                  {"★".repeat(review.rating)}
                  <span className="muted">{"★".repeat(5 - review.rating)}</span>
                </td>
                <td>
                  {review.comment ?? <span className="muted">No comment</span>}
                  {review.reply && <div className="muted">Reply: {review.reply.text}</div>}
                  {review.moderation && (
                    <div className="muted">
                      Hidden {when(review.moderation.hiddenAt)}: {review.moderation.reason}
                    </div>
                  )}
                  <div>
                    <Link to={`/bookings/${review.bookingId}`}>Booking</Link>
                  </div>
                </td>
                <td>
                  <Link to={`/users/${review.customer.id}`}>{review.customer.name}</Link>
                </td>
                <td>
                  <Link to={`/users/${review.contractor.id}`}>{review.contractor.name}</Link>
                </td>
                <td>{when(review.createdAt)}</td>
                <td>
                  <Badge value={review.hidden ? "hidden" : "visible"} />
                </td>
                <td>
                  {review.hidden ? (
                    <ConfirmButton
                      label="Show"
                      title="Show this review again?"
                      message="It returns to the contractor's public reviews and counts in their rating again."
                      onConfirm={(reason) => moderate(review, "unhide", reason)}
                    />
                  ) : (
                    <ConfirmButton
                      label="Hide"
                      title="Hide this review?"
                      message="It leaves the contractor's public reviews and no longer counts in their rating. The customer and the contractor can no longer change or answer it."
                      reason="required"
                      danger
                      onConfirm={(reason) => moderate(review, "hide", reason)}
                    />
                  )}
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
