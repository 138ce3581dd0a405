import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client.js";
import { Badge, Choice, ConfirmButton, Loaded, Pager, useCursorList, when } from "../ui.js";

const statuses = ["pending", "approved", "rejected"] as const;

export function Verifications() {
  const [status, setStatus] = useState<string>("pending");
  const client = useQueryClient();
  const list = useCursorList(["verifications", status], (cursor) =>
    ok(
      api.GET("/api/v1/admin/verifications", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(status ? { status: status as (typeof statuses)[number] } : {}),
          },
        },
      }),
    ),
  );
  const decide = async (id: string, decision: "approve" | "reject", reason: string | undefined) => {
    await ok(
      api.POST("/api/v1/admin/verifications/{id}/decision", {
        params: { path: { id } },
        body: { decision, ...(reason ? { reason } : {}) },
      }),
    );
    await client.invalidateQueries({ queryKey: ["verifications"] });
    await client.invalidateQueries({ queryKey: ["audit"] });
    await client.invalidateQueries({ queryKey: ["metrics"] });
  };
  return (
    <section>
      <h1>Verifications</h1>
      <div className="filters">
        <Choice label="Status" value={status} options={statuses} onChange={setStatus} />
      </div>
      <Loaded query={list.query} what="The verification queue">
        {(page) => (
          <div className="stack">
            {page.items.length === 0 && <p className="muted">Nothing here.</p>}
            {page.items.map((request) => (
              <article
                className="panel"
                key={request.id}
                aria-label={`Request of ${request.contractor.name}`}
              >
                <header className="page-header">
                  <h2>
                    <Link to={`/users/${request.contractor.id}`}>{request.contractor.name}</Link>
                  </h2>
                  <Badge value={request.status} />
                </header>
                <p className="muted">
                  {request.contractor.email} · sent {when(request.createdAt)}
                </p>
                {request.note && <p>{request.note}</p>}
                <h3>Documents</h3>
                {request.documents.length === 0 ? (
                  <p className="muted">No documents attached.</p>
                ) : (
                  <ul>
                    {request.documents.map((document) => (
                      <li key={document.id}>
                        <a href={document.url} target="_blank" rel="noreferrer">
                          {document.originalName ?? document.id}
                        </a>{" "}
                        ({document.contentType}, {Math.ceil(document.size / 1024)} KB)
                      </li>
                    ))}
                  </ul>
                )}
                {request.reason && <p>Reason: {request.reason}</p>}
                {request.status === "pending" && (
                  <div className="actions">
                    <ConfirmButton
                      label="Approve"
                      title={`Approve ${request.contractor.name}?`}
                      message="Their profile shows them as verified."
                      onConfirm={(reason) => decide(request.id, "approve", reason)}
                    />
                    <ConfirmButton
                      label="Reject"
                      title={`Reject ${request.contractor.name}'s request?`}
                      message="The reason is shown to the contractor, who may send a new request."
                      reason="required"
                      danger
                      onConfirm={(reason) => decide(request.id, "reject", reason)}
                    />
                  </div>
                )}
              </article>
            ))}
          </div>
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}
