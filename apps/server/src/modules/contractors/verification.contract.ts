import { z } from "zod";
import { pageQuery } from "../../http/pagination.js";
import { withoutRepeats } from "../../http/unique.js";
import { verificationStatuses } from "./contractors.contract.js";

export const requestStatuses = ["pending", "approved", "rejected"] as const;

export const verificationDocumentSchema = z
  .object({
    id: z.uuid(),
    contentType: z.string(),
    size: z.number().int(),
    url: z.string().meta({ description: "Signed and short-lived: ask again for a fresh one" }),
    urlExpiresAt: z.iso.datetime().nullable(),
    thumbnailUrl: z.string().nullable(),
    originalName: z.string().nullable(),
  })
  .meta({ id: "VerificationDocument" });

export const verificationRequestSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(requestStatuses),
    note: z.string().nullable(),
    documents: z.array(verificationDocumentSchema),
    reason: z.string().nullable().meta({ description: "The admin's reason, given when rejecting" }),
    createdAt: z.iso.datetime(),
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "VerificationRequest" });

export type VerificationRequest = z.infer<typeof verificationRequestSchema>;

/** A pending request with one licence document, as the API document's examples show it. */
export const verificationRequestExample = {
  id: "0192e8f0-2a4b-7c6d-9e8f-0a1b2c3d4e5f",
  status: "pending",
  note: "NICEIC registration and public liability insurance attached.",
  documents: [
    {
      id: "0192e8ef-6b7c-7d8e-af01-23456789abcd",
      contentType: "application/pdf",
      size: 402_118,
      url: "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
      urlExpiresAt: "2026-03-02T09:25:00.000Z",
      thumbnailUrl: null,
      originalName: "electrical-licence.pdf",
    },
  ],
  reason: null,
  createdAt: "2026-02-27T16:42:30.551Z",
  decidedAt: null,
} satisfies VerificationRequest;

export const adminVerificationRequestSchema = verificationRequestSchema
  .extend({
    contractor: z.object({ id: z.uuid(), name: z.string(), email: z.string() }),
    decidedBy: z.uuid().nullable(),
  })
  .meta({ id: "AdminVerificationRequest" });

export type AdminVerificationRequest = z.infer<typeof adminVerificationRequestSchema>;

export const ownVerificationSchema = z
  .object({
    status: z.enum(verificationStatuses),
    requests: z.array(verificationRequestSchema).meta({ description: "Newest first" }),
  })
  .meta({ id: "OwnVerification" });

export const submitVerificationBody = z
  .strictObject({
    fileIds: withoutRepeats(
      z
        .array(z.uuid("must be a file id"))
        .min(1, "add at least one document")
        .max(10, "at most 10 documents"),
      "must not repeat a file",
    ).meta({ description: "Ids of `verification_document` files you uploaded" }),
    note: z.string().trim().max(1000, "at most 1000 characters").optional(),
  })
  .meta({ id: "VerificationRequestInput" });

export const listVerificationsQuery = pageQuery.extend({
  status: z.enum(requestStatuses).optional(),
});

export const decisionBody = z
  .strictObject({
    decision: z.enum(["approve", "reject"]),
    reason: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(1000, "at most 1000 characters")
      .optional()
      .meta({ description: "Shown to the contractor; required when rejecting" }),
  })
  .refine((body) => body.decision !== "reject" || body.reason !== undefined, {
    path: ["reason"],
    message: "is required when rejecting",
    params: { code: "required" },
  })
  .meta({ id: "VerificationDecision" });

export const verificationRequestParams = z.object({ id: z.uuid("must be a verification request id") });

export type SubmitVerificationInput = z.output<typeof submitVerificationBody>;
export type ListVerificationsQuery = z.output<typeof listVerificationsQuery>;
export type VerificationDecision = z.output<typeof decisionBody>;
