import type { BookingView } from "./bookings.contract.js";

// The examples of the booking routes' OpenAPI document, and of the admin's booking views: one booking, seen
// at each step of its life.

export const exampleCustomerId = "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f";
export const exampleContractorId = "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60";
const customerId = exampleCustomerId;
const contractorId = exampleContractorId;
const bookingId = "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b";

export const exampleRequest = {
  contractorId,
  categorySlug: "electrician",
  description: "Replace the fuse board and add two sockets in the kitchen",
  scheduledStart: "2026-12-07T09:00:00Z",
  scheduledEnd: "2026-12-07T13:00:00Z",
  location: { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" },
  price: { amount: 24000, currency: "gbp" },
};

export function exampleBooking(
  status: BookingView["status"],
  history: BookingView["history"],
  extra: Partial<BookingView> = {},
): BookingView {
  return {
    id: bookingId,
    status,
    customer: { id: customerId, name: "Alice Brown" },
    contractor: { id: contractorId, name: "Priya Patel" },
    categorySlug: exampleRequest.categorySlug,
    description: exampleRequest.description,
    scheduledStart: exampleRequest.scheduledStart,
    scheduledEnd: exampleRequest.scheduledEnd,
    location: exampleRequest.location,
    price: exampleRequest.price,
    commission: null,
    contractorAmount: null,
    refundAmount: null,
    disputeReason: null,
    disputeResponse: null,
    createdAt: "2026-12-01T10:15:00.000Z",
    updatedAt: history.at(-1)?.at ?? "2026-12-01T10:15:00.000Z",
    history,
    ...extra,
  };
}

export const requested = {
  status: "requested",
  from: null,
  at: "2026-12-01T10:15:00.000Z",
  by: customerId,
  note: null,
} as const;
export const accepted = {
  status: "accepted",
  from: "requested",
  at: "2026-12-01T11:02:00.000Z",
  by: contractorId,
  note: null,
} as const;
export const funded = {
  status: "funded",
  from: "accepted",
  at: "2026-12-01T11:20:00.000Z",
  by: "system",
  note: null,
} as const;
export const started = {
  status: "in_progress",
  from: "funded",
  at: "2026-12-07T09:03:00.000Z",
  by: contractorId,
  note: null,
} as const;
export const completed = {
  status: "completed",
  from: "in_progress",
  at: "2026-12-07T12:41:00.000Z",
  by: contractorId,
  note: null,
} as const;
export const paid = {
  commission: { amount: 2400, currency: "gbp" },
  contractorAmount: { amount: 21600, currency: "gbp" },
};

export const disputeReason = "The new sockets do not work";
export const disputeStatement =
  "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.";
export const disputedHistory = [
  requested,
  accepted,
  funded,
  started,
  completed,
  {
    status: "disputed",
    from: "completed",
    at: "2026-12-07T19:30:00.000Z",
    by: customerId,
    note: disputeReason,
  },
] satisfies BookingView["history"];

/** A disputed booking its contractor has answered: the dispute response's answer, and what an admin reads. */
export const answeredDisputeExample = exampleBooking("disputed", disputedHistory, {
  ...paid,
  disputeReason,
  disputeResponse: { statement: disputeStatement, at: "2026-12-08T08:10:00.000Z" },
  updatedAt: "2026-12-08T08:10:00.000Z",
});
