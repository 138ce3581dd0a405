import type { BookingStatus } from "./bookings.machine.js";
import type { BookingsService } from "./bookings.service.js";

export interface DemoBookingPeople {
  adminId: string;
  /** Customers with the address their bookings are for. */
  customers: { id: string; address: string; lat: number; lng: number }[];
  /** Contractors with the first category they offer. */
  contractors: { id: string; category: string }[];
}

/** A demo booking as made, for the demo data told after it (reviews of finished work). */
export interface DemoBooking {
  id: string;
  status: BookingStatus;
  customerId: string;
  contractorId: string;
}

const HOUR_MS = 3_600_000;

const stories: {
  status: BookingStatus;
  description: string;
  price: number;
  startsInHours: number;
  /** After the money has reached the contractor, the customer's bank disputes the card payment. */
  chargedBack?: true;
}[] = [
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
  {
    status: "released",
    description: "Spring tidy of the back garden",
    price: 22000,
    startsInHours: -100,
    chargedBack: true,
  },
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
 * Finished work in the past, so that contractors have reviews to show: which contractor and customer (indexes
 * into the people given), and how the payment reached the contractor. A contractor left out has none yet.
 */
const pastWork: {
  contractor: number;
  customer: number;
  description: string;
  price: number;
  daysAgo: number;
  end: "confirm" | "autoRelease" | "resolveRelease" | "resolvePartial";
}[] = [
  {
    contractor: 0,
    customer: 0,
    description: "EV charger on the driveway",
    price: 95000,
    daysAgo: 40,
    end: "confirm",
  },
  {
    contractor: 0,
    customer: 1,
    description: "Three new ceiling lights",
    price: 21000,
    daysAgo: 26,
    end: "confirm",
  },
  {
    contractor: 0,
    customer: 0,
    description: "Fuse board safety check",
    price: 12000,
    daysAgo: 9,
    end: "autoRelease",
  },
  {
    contractor: 1,
    customer: 1,
    description: "Leaking shower trap",
    price: 11000,
    daysAgo: 33,
    end: "confirm",
  },
  {
    contractor: 1,
    customer: 0,
    description: "New outside tap",
    price: 14500,
    daysAgo: 18,
    end: "resolveRelease",
  },
  {
    contractor: 2,
    customer: 0,
    description: "Deep clean after the builders",
    price: 32000,
    daysAgo: 21,
    end: "confirm",
  },
  {
    contractor: 2,
    customer: 1,
    description: "Oven and hob clean",
    price: 8500,
    daysAgo: 12,
    end: "autoRelease",
  },
  {
    contractor: 3,
    customer: 1,
    description: "Alcove shelves in oak",
    price: 68000,
    daysAgo: 45,
    end: "confirm",
  },
  {
    contractor: 3,
    customer: 0,
    description: "Rehang two sticking doors",
    price: 16000,
    daysAgo: 15,
    end: "confirm",
  },
  {
    contractor: 4,
    customer: 0,
    description: "Paint the front bedroom",
    price: 42000,
    daysAgo: 30,
    end: "resolvePartial",
  },
  {
    contractor: 4,
    customer: 1,
    description: "Gloss the stair spindles",
    price: 26000,
    daysAgo: 8,
    end: "confirm",
  },
  {
    contractor: 5,
    customer: 1,
    description: "Flat-pack desk and blinds",
    price: 9000,
    daysAgo: 14,
    end: "confirm",
  },
  {
    contractor: 6,
    customer: 0,
    description: "Locked out: new cylinder",
    price: 12500,
    daysAgo: 6,
    end: "confirm",
  },
];

/**
 * The payments steps the demo's bookings need, run after the seed's transaction commits (the payments
 * service works on committed bookings, and its gateway's webhooks are processed by their own transactions).
 */
export interface DemoMoney {
  /** The customer pays; the booking becomes funded. */
  fund(bookingId: string, customerId: string): Promise<void>;
  /** The admin's resolution of a dispute, through payments (audited, settled). */
  resolveDispute(
    adminId: string,
    bookingId: string,
    refund: number,
    currency: string,
    note: string,
  ): Promise<void>;
  /** The settlement the booking's status owes: the Transfer, the refund, or both. */
  settle(bookingId: string): Promise<void>;
  /** The customer's bank disputes the booking's card payment: a chargeback for the admin to answer. */
  chargeBack(bookingId: string): Promise<void>;
}

/** What the seed's transaction made, and the money steps that finish the bookings after it commits. */
export interface DemoBookings {
  bookings: DemoBooking[];
  /** Takes every booking that is funded or beyond to its state, with its money; resolves once settled. */
  finish(money: DemoMoney): Promise<void>;
}

type Step = (money: DemoMoney) => Promise<unknown>;

const owesSettlement = new Set<BookingStatus>(["released", "refunded", "partially_refunded", "cancelled"]);

/**
 * Demo data: one booking in every state, between the demo customers and contractors, made through the same
 * service calls as the apps' (requests, the parties' actions, the payments and admin steps). Times are set
 * around `now` so each state is plausible; requests skip the availability check, the hours being chosen here.
 * Then past work, finished and paid, that the demo's reviews are about. Bookings that are funded or beyond
 * stop at accepted in the seed's transaction; `finish` pays them and takes them on once it has committed.
 */
export async function seedDemoBookings(
  service: BookingsService,
  people: DemoBookingPeople,
  now: Date,
): Promise<DemoBookings> {
  const made: DemoBooking[] = [];
  const later: { booking: DemoBooking; steps: Step[]; chargedBack?: true }[] = [];
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
    const first: Record<"accepted" | "declined" | "expired", () => Promise<unknown>> = {
      accepted: () => service.act(asContractor, id, "accept"),
      declined: () => service.act(asContractor, id, "decline"),
      expired: () => service.expire(id),
    };
    const fund: Step[] = [(money) => money.fund(id, customer.id)];
    const done: Step[] = [
      ...fund,
      () => service.act(asContractor, id, "start"),
      () => service.act(asContractor, id, "complete"),
    ];
    const disputed: Step[] = [
      ...done,
      () => service.act(asCustomer, id, "dispute", { disputeReason: "The work is not finished" }),
      () =>
        service.respondToDispute(
          asContractor,
          id,
          "Everything in the quote was done and tested before I left; what is missing was never part of it, and I offered to come back for it.",
        ),
    ];
    const resolve =
      (refund: number, note: string): Step =>
      (money) =>
        money.resolveDispute(people.adminId, id, refund, "gbp", note);
    const paid: Partial<Record<BookingStatus, Step[]>> = {
      funded: fund,
      in_progress: [...fund, () => service.act(asContractor, id, "start")],
      completed: done,
      released: [...done, () => service.act(asCustomer, id, "confirm")],
      disputed,
      refunded: [...disputed, resolve(story.price, "The contractor did not come back")],
      partially_refunded: [
        ...disputed,
        resolve(Math.floor(story.price / 4), "A quarter back for the boards left unpainted"),
      ],
      cancelled: [...fund, () => service.act(asCustomer, id, "cancel")],
    };
    // Everything but a bare request is accepted (or declined, or left to expire) in the transaction.
    if (story.status !== "requested") {
      await (first[story.status as keyof typeof first] ?? first.accepted)();
    }
    const booking = { id, status: story.status, customerId: customer.id, contractorId: contractor.id };
    const steps = paid[story.status];
    if (steps) later.push({ booking, steps, ...(story.chargedBack ? { chargedBack: true } : {}) });
    made.push(booking);
  }
  const past = await seedPastWork(service, people, now);
  return {
    // Past work first: it is what the demo's reviews are written about, in this order.
    bookings: [...past.map((work) => work.booking), ...made],
    async finish(money) {
      for (const work of [...past, ...later]) {
        for (const step of work.steps) await step(money);
        if (owesSettlement.has(work.booking.status)) await money.settle(work.booking.id);
        if ("chargedBack" in work) await money.chargeBack(work.booking.id);
      }
    },
  };
}

/** The finished work of `pastWork`, accepted now and taken by its steps from payment to the money reaching the contractor. */
async function seedPastWork(
  service: BookingsService,
  people: DemoBookingPeople,
  now: Date,
): Promise<{ booking: DemoBooking; steps: Step[] }[]> {
  const made: { booking: DemoBooking; steps: Step[] }[] = [];
  for (const work of pastWork) {
    const customer = people.customers[work.customer % people.customers.length];
    const contractor = people.contractors[work.contractor];
    // Fewer contractors than the story needs: their past work is left out.
    if (!customer || !contractor) continue;
    const start = new Date(Math.round((now.getTime() - work.daysAgo * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS);
    const { id } = await service.createRequest(customer.id, {
      contractorId: contractor.id,
      categorySlug: contractor.category,
      description: work.description,
      scheduledStart: start,
      scheduledEnd: new Date(start.getTime() + 4 * HOUR_MS),
      location: { lat: customer.lat, lng: customer.lng, address: customer.address },
      price: { amount: work.price, currency: "gbp" },
    });
    const asCustomer = { id: customer.id, role: "customer" as const };
    const asContractor = { id: contractor.id, role: "contractor" as const };
    await service.act(asContractor, id, "accept");
    const steps: Step[] = [
      (money) => money.fund(id, customer.id),
      () => service.act(asContractor, id, "start"),
      () => service.act(asContractor, id, "complete"),
    ];
    let status: BookingStatus = "released";
    if (work.end === "confirm") steps.push(() => service.act(asCustomer, id, "confirm"));
    else if (work.end === "autoRelease") steps.push(() => service.autoRelease(id));
    else {
      const partial = work.end === "resolvePartial";
      steps.push(
        () => service.act(asCustomer, id, "dispute", { disputeReason: "Part of the job was not done" }),
        () =>
          service.respondToDispute(
            asContractor,
            id,
            "The last wall was left because the plaster was still drying; I offered two dates to finish it.",
          ),
        (money) =>
          money.resolveDispute(
            people.adminId,
            id,
            partial ? Math.floor(work.price / 5) : 0,
            "gbp",
            partial ? "A fifth back for the wall left unpainted" : "The work was done as agreed",
          ),
      );
      if (partial) status = "partially_refunded";
    }
    made.push({ booking: { id, status, customerId: customer.id, contractorId: contractor.id }, steps });
  }
  return made;
}
