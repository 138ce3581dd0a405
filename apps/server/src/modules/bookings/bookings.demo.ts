import type { BookingStatus } from "./bookings.machine.js";
import type { BookingsService } from "./bookings.service.js";

export interface DemoBookingPeople {
  adminId: string;
  /** Customers with the address their bookings are for. */
  customers: { id: string; address: string; lat: number; lng: number }[];
  /** Contractors with the first category they offer. */
  contractors: { id: string; category: string }[];
}

const HOUR_MS = 3_600_000;

const stories: { status: BookingStatus; description: string; price: number; startsInHours: number }[] = [
  {
    status: "requested",
    description: "Two new double sockets in the kitchen",
    price: 18000,
    startsInHours: 74,
  },
  {
    status: "accepted",
    description: "Dripping kitchen tap and a new washer",
    price: 9500,
    startsInHours: 50,
  },
  { status: "declined", description: "End-of-tenancy clean, two-bed flat", price: 26000, startsInHours: 98 },
  { status: "expired", description: "Fitted wardrobe in the loft room", price: 120000, startsInHours: 170 },
  { status: "funded", description: "Repaint the hallway and landing", price: 64000, startsInHours: 122 },
  { status: "in_progress", description: "Mount the TV and put up shelves", price: 12000, startsInHours: -2 },
  { status: "completed", description: "Change the front door locks", price: 15500, startsInHours: -26 },
  { status: "released", description: "Spring tidy of the back garden", price: 22000, startsInHours: -100 },
  {
    status: "disputed",
    description: "Replace the bathroom radiator valve",
    price: 14000,
    startsInHours: -50,
  },
  { status: "refunded", description: "Outdoor security light", price: 21000, startsInHours: -150 },
  {
    status: "partially_refunded",
    description: "Decking repair, six boards",
    price: 48000,
    startsInHours: -200,
  },
  { status: "cancelled", description: "Oven deep clean", price: 8000, startsInHours: 20 },
];

/**
 * Demo data: one booking in every state, between the demo customers and contractors, made through the same
 * service calls as the apps' (requests, the parties' actions, the payments and admin steps). Times are set
 * around `now` so each state is plausible; requests skip the availability check, the hours being chosen here.
 */
export async function seedDemoBookings(
  service: BookingsService,
  people: DemoBookingPeople,
  now: Date,
): Promise<void> {
  for (const [index, story] of stories.entries()) {
    const customer = people.customers[index % people.customers.length];
    const contractor = people.contractors[index % people.contractors.length];
    if (!customer || !contractor) throw new Error("demo bookings need customers and contractors");
    const start = new Date(Math.round((now.getTime() + story.startsInHours * HOUR_MS) / HOUR_MS) * HOUR_MS);
    const { id } = await service.createRequest(customer.id, {
      contractorId: contractor.id,
      categorySlug: contractor.category,
      description: story.description,
      scheduledStart: start,
      scheduledEnd: new Date(start.getTime() + 3 * HOUR_MS),
      location: { lat: customer.lat, lng: customer.lng, address: customer.address },
      price: { amount: story.price, currency: "gbp" },
    });
    const asCustomer = { id: customer.id, role: "customer" as const };
    const asContractor = { id: contractor.id, role: "contractor" as const };
    const commission = Math.floor(story.price / 10);
    const steps: Record<BookingStatus, (() => Promise<unknown>)[]> = {
      requested: [],
      accepted: [() => service.act(asContractor, id, "accept")],
      declined: [() => service.act(asContractor, id, "decline")],
      expired: [() => service.expire(id)],
      funded: [],
      in_progress: [],
      completed: [],
      released: [],
      disputed: [],
      refunded: [],
      partially_refunded: [],
      cancelled: [],
    };
    const fund = [
      ...steps.accepted,
      () =>
        service.markFunded(id, {
          by: "system",
          amounts: { commission, contractorAmount: story.price - commission },
        }),
    ];
    const done = [
      ...fund,
      () => service.act(asContractor, id, "start"),
      () => service.act(asContractor, id, "complete"),
    ];
    const disputed = [
      ...done,
      () => service.act(asCustomer, id, "dispute", { disputeReason: "The work is not finished" }),
    ];
    steps.funded = fund;
    steps.in_progress = [...fund, () => service.act(asContractor, id, "start")];
    steps.completed = done;
    steps.released = [...done, () => service.act(asCustomer, id, "confirm")];
    steps.disputed = disputed;
    steps.refunded = [
      ...disputed,
      () =>
        service.resolveDispute(id, {
          by: people.adminId,
          refundAmount: story.price,
          note: "The contractor did not come back",
        }),
    ];
    steps.partially_refunded = [
      ...disputed,
      () =>
        service.resolveDispute(id, {
          by: people.adminId,
          refundAmount: Math.floor(story.price / 4),
          note: "A quarter back for the boards left unpainted",
        }),
    ];
    steps.cancelled = [...fund, () => service.act(asCustomer, id, "cancel")];
    for (const step of steps[story.status]) await step();
  }
}
