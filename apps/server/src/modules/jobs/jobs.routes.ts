import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { bookingSchema } from "../bookings/index.js";
import { contractorErrors } from "../contractors/index.js";
import { fileErrors } from "../files/index.js";
import {
  createJobBody,
  createQuoteBody,
  jobPageSchema,
  jobParams,
  jobSchema,
  listJobsQuery,
  listQuotesQuery,
  quotePageSchema,
  quoteParams,
  quoteSchema,
  updateJobBody,
  updateQuoteBody,
} from "./jobs.contract.js";
import { jobErrors } from "./jobs.errors.js";
import type { JobsService } from "./jobs.service.js";

const exampleJob = {
  id: "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
  customerId: "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
  title: "Replace a kitchen mixer tap",
  description: "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
  categorySlug: "plumber",
  location: { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" },
  budget: { amount: 12000, currency: "gbp" },
  preferredStart: "2026-12-03T09:00:00.000Z",
  status: "open" as const,
  attachments: [
    {
      id: "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
      contentType: "image/jpeg",
      size: 184_233,
      url: "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
      thumbnailUrl:
        "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d",
    },
  ],
  expiresAt: "2026-12-14T10:00:00.000Z",
  assignedContractorId: null,
  bookingId: null,
  quoteCount: 2,
  createdAt: "2026-11-30T10:00:00.000Z",
  updatedAt: "2026-11-30T10:00:00.000Z",
};

const exampleQuote = {
  id: "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
  jobId: exampleJob.id,
  contractorId: "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
  contractorName: "Tom Walker",
  price: { amount: 9500, currency: "gbp" },
  message: "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
  proposedStart: "2026-12-03T09:00:00.000Z",
  status: "pending" as const,
  closedReason: null,
  decidedAt: null,
  createdAt: "2026-11-30T11:20:00.000Z",
  updatedAt: "2026-11-30T11:20:00.000Z",
};

export function jobsRoutes(service: JobsService) {
  return (api: ApiRouter) => {
    const fileFailures = [fileErrors.notFound, fileErrors.wrongPurpose, fileErrors.alreadyAttached];

    api.route({
      method: "post",
      path: "/jobs",
      tags: ["Jobs"],
      summary: "Post a job request",
      description:
        "Upload attachments first (`POST /files` with purpose `job_attachment`), then send their ids. The job is open for quotes until `expiresAt` (setting `JOB_EXPIRY`).",
      access: ["customer"],
      body: createJobBody,
      idempotent: true,
      response: { status: 201, description: "The new job, open", schema: jobSchema },
      errors: [contractorErrors.unknownCategory, ...fileFailures],
      examples: {
        request: {
          title: exampleJob.title,
          description: exampleJob.description,
          categorySlug: "plumber",
          location: exampleJob.location,
          budget: exampleJob.budget,
          preferredStart: exampleJob.preferredStart,
          attachmentFileIds: ["01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a"],
        },
        response: { ...exampleJob, quoteCount: 0 },
      },
      handler: ({ user, body }) => service.create(user, body),
    });

    api.route({
      method: "get",
      path: "/jobs",
      tags: ["Jobs"],
      summary: "Customers: their jobs. Contractors: open jobs in their categories and service area",
      description:
        "Newest first. Contractors see each job's place rounded to 0.01° with no address, and `distanceKm` from their service area's public centre.",
      access: ["customer", "contractor"],
      query: listJobsQuery,
      response: { status: 200, description: "One page of jobs", schema: jobPageSchema },
      errors: [coreErrors.invalidCursor, contractorErrors.profileMissing],
      examples: { response: { items: [exampleJob], nextCursor: null } },
      handler: ({ user, query }) => service.list(user, query),
    });

    api.route({
      method: "get",
      path: "/jobs/:id",
      tags: ["Jobs"],
      summary: "A job",
      description:
        "The owner and admins see everything, with `quoteCount`; contractors whose categories and area match, the assigned contractor and contractors who quoted may read it too. Anyone else gets 404.",
      access: "user",
      params: jobParams,
      response: { status: 200, description: "The job", schema: jobSchema },
      errors: [jobErrors.notFound],
      examples: { response: exampleJob },
      handler: ({ user, params }) => service.get(user, params.id),
    });

    api.route({
      method: "patch",
      path: "/jobs/:id",
      tags: ["Jobs"],
      summary: "Change an open job",
      description:
        "Only the owner, only while the job is open. `attachmentFileIds` replaces the whole list; files left out are released and deleted later. `null` clears `budget` or `preferredStart`.",
      access: ["customer"],
      params: jobParams,
      body: updateJobBody,
      response: { status: 200, description: "The changed job", schema: jobSchema },
      errors: [jobErrors.notFound, jobErrors.invalidState, contractorErrors.unknownCategory, ...fileFailures],
      examples: {
        request: { budget: { amount: 15000, currency: "gbp" }, preferredStart: null },
        response: { ...exampleJob, budget: { amount: 15000, currency: "gbp" }, preferredStart: null },
      },
      handler: ({ user, params, body }) => service.update(user, params.id, body),
    });

    api.route({
      method: "post",
      path: "/jobs/:id/cancel",
      tags: ["Jobs"],
      summary: "Cancel an open job",
      description:
        "Only the owner, only while the job is open. Its pending quotes become `rejected` with `closedReason: job_cancelled`.",
      access: ["customer"],
      params: jobParams,
      response: { status: 200, description: "The cancelled job", schema: jobSchema },
      errors: [jobErrors.notFound, jobErrors.invalidState],
      examples: { response: { ...exampleJob, status: "cancelled" } },
      handler: ({ user, params }) => service.cancel(user, params.id),
    });

    api.route({
      method: "post",
      path: "/jobs/:id/quotes",
      tags: ["Jobs"],
      summary: "Quote for an open job",
      description:
        "Contractors with a profile whose categories and area match the job. One quote per contractor and job (a second is 409 `quote.already_exists`, also after a withdrawal): edit it instead. `proposedStart` is required when the job has no `preferredStart`.",
      access: ["contractor"],
      params: jobParams,
      body: createQuoteBody,
      idempotent: true,
      response: { status: 201, description: "The quote, pending", schema: quoteSchema },
      errors: [
        contractorErrors.profileMissing,
        jobErrors.notFound,
        jobErrors.invalidState,
        jobErrors.quoteExists,
      ],
      examples: {
        request: {
          price: exampleQuote.price,
          message: exampleQuote.message,
          proposedStart: exampleQuote.proposedStart,
        },
        response: exampleQuote,
      },
      handler: ({ user, params, body }) => service.createQuote(user, params.id, body),
    });

    api.route({
      method: "get",
      path: "/jobs/:id/quotes",
      tags: ["Jobs"],
      summary: "The quotes of a job",
      description: "The owner and admins see every quote; a contractor sees only their own. Oldest first.",
      access: "user",
      params: jobParams,
      query: listQuotesQuery,
      response: { status: 200, description: "One page of quotes", schema: quotePageSchema },
      errors: [jobErrors.notFound, coreErrors.invalidCursor],
      examples: { response: { items: [exampleQuote], nextCursor: null } },
      handler: ({ user, params, query }) => service.listQuotes(user, params.id, query),
    });

    api.route({
      method: "patch",
      path: "/jobs/:id/quotes/:quoteId",
      tags: ["Jobs"],
      summary: "Change a pending quote",
      description: "Only its contractor, while the quote is pending and the job open.",
      access: ["contractor"],
      params: quoteParams,
      body: updateQuoteBody,
      response: { status: 200, description: "The changed quote", schema: quoteSchema },
      errors: [jobErrors.quoteNotFound, jobErrors.invalidState, jobErrors.quoteInvalidState],
      examples: {
        request: { price: { amount: 9000, currency: "gbp" } },
        response: { ...exampleQuote, price: { amount: 9000, currency: "gbp" } },
      },
      handler: ({ user, params, body }) => service.updateQuote(user, params.id, params.quoteId, body),
    });

    api.route({
      method: "post",
      path: "/jobs/:id/quotes/:quoteId/withdraw",
      tags: ["Jobs"],
      summary: "Withdraw a pending quote",
      description:
        "Only its contractor, while the quote is pending and the job open. A withdrawn quote stays listed and cannot be sent again.",
      access: ["contractor"],
      params: quoteParams,
      response: { status: 200, description: "The withdrawn quote", schema: quoteSchema },
      errors: [jobErrors.quoteNotFound, jobErrors.invalidState, jobErrors.quoteInvalidState],
      examples: {
        response: { ...exampleQuote, status: "withdrawn", decidedAt: "2026-11-30T12:00:00.000Z" },
      },
      handler: ({ user, params }) => service.withdrawQuote(user, params.id, params.quoteId),
    });

    api.route({
      method: "post",
      path: "/jobs/:id/quotes/:quoteId/accept",
      tags: ["Jobs"],
      summary: "Accept a quote: the job is assigned and its contractor booked",
      description:
        "Only the job's owner, while the job is open and the quote pending. In one step the quote becomes `accepted`, the other pending quotes `rejected` (`closedReason: other_quote_accepted`), a booking is created in `accepted` at the quoted price starting at the quote's `proposedStart` (else the job's `preferredStart`), and the job becomes `assigned` with its `bookingId`. Of concurrent accepts exactly one succeeds; the others answer 409 `job.invalid_state`. Send an `Idempotency-Key` so a retry returns the same booking.",
      access: ["customer"],
      params: quoteParams,
      idempotent: true,
      response: { status: 201, description: "The booking, accepted", schema: bookingSchema },
      errors: [
        jobErrors.notFound,
        jobErrors.invalidState,
        jobErrors.quoteNotFound,
        jobErrors.quoteInvalidState,
        jobErrors.startMissing,
        jobErrors.startPassed,
      ],
      examples: {
        response: {
          id: "01963a50-7e8f-7a9b-8c0d-1e2f3a4b5c6d",
          status: "accepted",
          customer: { id: exampleJob.customerId, name: "Alice Brown" },
          contractor: { id: exampleQuote.contractorId, name: exampleQuote.contractorName },
          categorySlug: exampleJob.categorySlug,
          description: `${exampleJob.title}\n\n${exampleJob.description}`,
          scheduledStart: exampleQuote.proposedStart,
          scheduledEnd: null,
          location: exampleJob.location,
          price: exampleQuote.price,
          commission: null,
          contractorAmount: null,
          refundAmount: null,
          disputeReason: null,
          disputeResponse: null,
          createdAt: "2026-11-30T12:30:00.000Z",
          updatedAt: "2026-11-30T12:30:00.000Z",
          history: [
            {
              status: "accepted",
              from: null,
              at: "2026-11-30T12:30:00.000Z",
              by: exampleJob.customerId,
              note: "quote accepted",
            },
          ],
        },
      },
      handler: ({ user, params }) => service.acceptQuote(user, params.id, params.quoteId),
    });
  };
}
