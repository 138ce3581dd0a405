import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok, type Schemas } from "../api/client.js";
import { Loaded, when } from "../ui.js";

type Conversation = Schemas["Conversation"];

/** The pair's conversation, found among the customer's (a customer talks with few contractors). */
async function conversationOf(customerId: string, contractorId: string): Promise<Conversation | null> {
  let cursor: string | undefined;
  do {
    const page = await ok(
      api.GET("/api/v1/conversations", {
        params: { query: { participantId: customerId, limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    const found = page.items.find((conversation) => conversation.contractor.id === contractorId);
    if (found) return found;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return null;
}

/**
 * The chat between a booking's customer and contractor, as evidence for a dispute: the latest `limit`
 * messages, oldest first, read on demand (admins read any conversation and never appear in it).
 */
export function Transcript({
  customer,
  contractor,
  limit = 50,
}: {
  customer: { id: string; name: string };
  contractor: { id: string; name: string };
  limit?: number;
}) {
  const [open, setOpen] = useState(false);
  const transcript = useQuery({
    queryKey: ["transcript", customer.id, contractor.id, limit],
    enabled: open,
    queryFn: async () => {
      const conversation = await conversationOf(customer.id, contractor.id);
      if (!conversation) return null;
      const page = await ok(
        api.GET("/api/v1/conversations/{id}/messages", {
          params: { path: { id: conversation.id }, query: { limit } },
        }),
      );
      return { messages: [...page.items].reverse(), more: page.nextCursor !== null };
    },
  });
  const names = new Map([
    [customer.id, `${customer.name} (customer)`],
    [contractor.id, `${contractor.name} (contractor)`],
  ]);
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Show the chat transcript
      </button>
    );
  }
  return (
    <section className="transcript" aria-label="Chat transcript">
      <h3>Chat transcript</h3>
      <Loaded query={transcript} what="The chat">
        {(found) =>
          found === null ? (
            <p className="muted">These two have never written to each other.</p>
          ) : (
            <>
              {found.more && <p className="muted">The latest {limit} messages:</p>}
              {found.messages.length === 0 && <p className="muted">No messages.</p>}
              <ol>
                {found.messages.map((message) => (
                  <li key={message.id}>
                    <strong>{names.get(message.senderId) ?? "Someone"}</strong>{" "}
                    <span className="muted">{when(message.createdAt)}</span>
                    {message.text && <div>{message.text}</div>}
                    {message.attachments.map((attachment) => (
                      <div key={attachment.id}>
                        <a href={attachment.url} target="_blank" rel="noreferrer">
                          {attachment.originalName ?? "Attachment"}
                        </a>
                      </div>
                    ))}
                  </li>
                ))}
              </ol>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
