import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import {
  bookingErrors,
  answeredDisputeExample as bookingExample,
  bookingSchema,
  exampleContractorId as contractorId,
  exampleCustomerId as customerId,
} from "../bookings/index.js";
import { jobErrors, jobSchema } from "../jobs/index.js";
import {
  bookingPageSchema,
  idParams,
  jobDetailSchema,
  jobPageSchema,
  listBookingsQuery,
  listJobsQuery,
  metricsQuery,
  metricsSchema,
} from "./admin.contract.js";
import type { AdminService } from "./admin.service.js";

const jobExample = jobSchema.parse({
  id: "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
  customerId,
  title: "Replace a kitchen mixer tap",
  description: "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
  categorySlug: "plumber",
  location: { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" },
  budget: { amount: 12000, currency: "gbp" },
  preferredStart: "2026-12-03T09:00:00.000Z",
  status: "assigned",
  attachments: [],
  expiresAt: "2026-12-14T10:00:00.000Z",
  assignedContractorId: contractorId,
  bookingId: "0193a2c0-7d8e-7f9a-8b0c-1d2e3f4a5b6c",
  quoteCount: 1,
  createdAt: "2026-11-30T10:00:00.000Z",
  updatedAt: "2026-11-30T12:10:00.000Z",
});

const quoteExample = {
  id: "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
  jobId: jobExample.id,
  contractorId,
  contractorName: "Priya Patel",
  price: { amount: 9500, currency: "gbp" },
  message: "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
  proposedStart: "2026-12-03T09:00:00.000Z",
  status: "accepted" as const,
  closedReason: null,
  decidedAt: "2026-11-30T12:10:00.000Z",
  createdAt: "2026-11-30T11:20:00.000Z",
  updatedAt: "2026-11-30T12:10:00.000Z",
};

const nextCursor = "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5M2EyYjQtMWMyZC03ZTNmLThhNGItNWM2ZDdlOGY5YTBiIl0";

const metricsExample = {
  period: { from: "2026-11-28T00:00:00.000Z", to: "2026-11-30T00:00:00.000Z" },
  users: {
    byRole: { customer: 1240, contractor: 312, admin: 3 },
    byStatus: { active: 1531, suspended: 9, deleted: 15 },
    newSignUps: 27,
  },
  openJobs: 84,
  bookings: {
    byStatus: {
      requested: 4,
      accepted: 3,
      declined: 1,
      expired: 0,
      funded: 5,
      in_progress: 2,
      completed: 1,
      released: 6,
      disputed: 1,
      refunded: 0,
      partially_refunded: 0,
      cancelled: 2,
    },
    created: 25,
  },
  grossBookingValue: [{ amount: 312000, currency: "gbp" }],
  commissionEarned: [{ amount: 27600, currency: "gbp" }],
  moneyHeld: [{ amount: 188500, currency: "gbp" }],
  pendingVerifications: 6,
  openDisputes: 3,
  daily: [
    {
      date: "2026-11-28",
      signUps: 12,
      bookings: 11,
      grossBookingValue: [{ amount: 144000, currency: "gbp" }],
      commissionEarned: [{ amount: 12000, currency: "gbp" }],
    },
    {
      date: "2026-11-29",
      signUps: 15,
      bookings: 14,
      grossBookingValue: [{ amount: 168000, currency: "gbp" }],
      commissionEarned: [{ amount: 15600, currency: "gbp" }],
    },
  ],
};

/** What admins oversee without changing: the overview's figures, every job and every booking. */
export function oversightRoutes(admin: AdminService, options: { metricsMaxDays: number }) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/admin/metrics",
      tags: ["Admin"],
      summary: "The overview's figures over a period, with a daily series for charts",
      description: `Counts that describe now (users by role and status, open jobs, money held, pending verifications, open disputes) ignore the period; the others count what happened in it. Days are UTC days. A period covers at most ${options.metricsMaxDays} days (ADMIN_METRICS_MAX_DAYS).`,
      access: ["admin"],
      query: metricsQuery,
      response: { status: 200, description: "The figures", schema: metricsSchema },
      examples: { response: metricsExample },
      handler: ({ query }) => admin.metrics(query),
    });

    api.route({
      method: "get",
      path: "/admin/bookings",
      tags: ["Admin"],
      summary: "Every booking, newest first, filtered by status, category, party or creation date",
      access: ["admin"],
      query: listBookingsQuery,
      response: { status: 200, description: "A page of bookings", schema: bookingPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [bookingExample], nextCursor } },
      handler: ({ query }) => admin.listBookings(query),
    });

    api.route({
      method: "get",
      path: "/admin/bookings/:id",
      tags: ["Admin"],
      summary: "One booking with its whole history",
      access: ["admin"],
      params: idParams,
      response: { status: 200, description: "The booking", schema: bookingSchema },
      errors: [bookingErrors.notFound],
      examples: { response: bookingExample },
      handler: ({ params }) => admin.getBooking(params.id),
    });

    api.route({
      method: "get",
      path: "/admin/jobs",
      tags: ["Admin"],
      summary:
        "Every job request, newest first, filtered by status, category, customer, contractor, title or date",
      description: "`status=expired` includes open jobs past their expiry that the timer has not marked yet.",
      access: ["admin"],
      query: listJobsQuery,
      response: { status: 200, description: "A page of jobs", schema: jobPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [jobExample], nextCursor } },
      handler: ({ query }) => admin.listJobs(query),
    });

    api.route({
      method: "get",
      path: "/admin/jobs/:id",
      tags: ["Admin"],
      summary: "One job with every quote it received",
      description: "The booking its accepted quote made is `job.bookingId` (`GET /admin/bookings/:id`).",
      access: ["admin"],
      params: idParams,
      response: { status: 200, description: "The job and its quotes", schema: jobDetailSchema },
      errors: [jobErrors.notFound],
      examples: { response: { job: jobExample, quotes: [quoteExample] } },
      handler: ({ params }) => admin.getJob(params.id),
    });
  };
}
