import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import type { FilesService } from "../files/index.js";
import { messageAttachmentKind } from "./chat.service.js";
import { conversations, messageAttachments, messages } from "./chat.tables.js";

/** A pair the demo seeds a conversation for. */
export interface DemoChatPair {
  customerId: string;
  contractorId: string;
}

const MINUTE_MS = 60_000;

/** Who says what, and how long before the seed's `now`. `attach` sends a small PDF with the line. */
const script: { from: "customer" | "contractor"; text: string; minutesAgo: number; attach?: string }[] = [
  { from: "customer", text: "Hi! Is the time I booked still good for you?", minutesAgo: 26 * 60 },
  { from: "contractor", text: "Yes, that works. Anything I should know before I come?", minutesAgo: 25 * 60 },
  { from: "customer", text: "Parking is on the street; the buzzer is flat 2.", minutesAgo: 24 * 60 },
  {
    from: "contractor",
    text: "Here is the itemised quote for the parts.",
    minutesAgo: 3 * 60,
    attach: "quote.pdf",
  },
  { from: "contractor", text: "See you then. I will text when I am 10 minutes away.", minutesAgo: 2 * 60 },
];

/** A one-page PDF, enough for a viewer to open. */
const demoPdf = Buffer.from(
  "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
);

/**
 * Demo data for a new development database: a conversation per pair with a day of history, a PDF attachment,
 * and the contractor's last two messages still unread by the customer. Joins the caller's transaction.
 */
export async function seedDemoConversations(
  db: Executor,
  files: FilesService,
  pairs: readonly DemoChatPair[],
  now: Date,
): Promise<void> {
  for (const pair of pairs) {
    const conversationId = newId();
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * MINUTE_MS);
    const first = script[0];
    if (!first) return;
    await db.insert(conversations).values({
      id: conversationId,
      customerId: pair.customerId,
      contractorId: pair.contractorId,
      activityAt: at(first.minutesAgo),
      createdAt: at(first.minutesAgo + 5),
    });
    const ids: string[] = [];
    for (const [index, line] of script.entries()) {
      const id = newId();
      ids.push(id);
      const senderId = line.from === "customer" ? pair.customerId : pair.contractorId;
      await db.insert(messages).values({
        id,
        conversationId,
        seq: index + 1,
        senderId,
        text: line.text,
        clientMessageId: null,
        createdAt: at(line.minutesAgo),
      });
      if (line.attach) {
        const file = await files.storeProvided(db, {
          ownerId: senderId,
          purpose: "chat_attachment",
          bytes: demoPdf,
          name: line.attach,
          contentType: "application/pdf",
          ext: "pdf",
        });
        await files.attach(db, {
          ownerId: senderId,
          fileIds: [file.id],
          purposes: ["chat_attachment"],
          kind: messageAttachmentKind,
          targetId: id,
          field: "attachmentFileIds",
        });
        await db.insert(messageAttachments).values({ messageId: id, position: 0, fileId: file.id });
      }
    }
    const last = script.at(-1);
    await db
      .update(conversations)
      .set({
        lastSeq: script.length,
        activityAt: at(last?.minutesAgo ?? 0),
        // The customer read up to their own last message; the contractor read everything.
        customerReadSeq: 3,
        customerReadMessageId: ids[2] ?? null,
        customerReadAt: at(24 * 60),
        contractorReadSeq: 3,
        contractorReadMessageId: ids[2] ?? null,
        contractorReadAt: at(25 * 60 - 10),
      })
      .where(eq(conversations.id, conversationId));
  }
}
