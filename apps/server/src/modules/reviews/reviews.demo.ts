import type { ReviewsService } from "./reviews.service.js";

/** A finished demo booking: the parties and its status (only released or partially refunded ones are rated). */
interface DemoFinishedBooking {
  id: string;
  status: string;
  customerId: string;
  contractorId: string;
}

/** What the demo customers said about the finished bookings, in their order; later ones are left unreviewed. */
const said: { rating: number; comment?: string; reply?: string; customerRating?: number }[] = [
  {
    rating: 5,
    comment: "Fitted the charger in a morning and showed us the app. Tidy cable run along the wall.",
    reply: "Thank you! Enjoy the electric miles.",
    customerRating: 5,
  },
  {
    rating: 5,
    comment: "Quick, careful, and the lights are exactly where we wanted them.",
    customerRating: 5,
  },
  { rating: 4, comment: "Thorough check with a clear certificate; came an hour late." },
  {
    rating: 5,
    comment: "Found the leak in minutes. Fair price.",
    reply: "Glad it is sorted, Ben.",
    customerRating: 4,
  },
  { rating: 3, comment: "The tap works, but we had to chase for a second visit." },
  {
    rating: 5,
    comment: "The flat was spotless after the builders left. Worth every penny.",
    customerRating: 5,
  },
  { rating: 4 },
  {
    rating: 5,
    comment: "Beautiful oak shelves, perfectly level. A real craftsman.",
    reply: "Thank you, it was a lovely alcove to work on.",
    customerRating: 5,
  },
  { rating: 4, comment: "Both doors close properly now." },
  {
    rating: 2,
    comment: "One wall was left unfinished; sorted out through a partial refund.",
    reply: "Sorry about the wall: the paint we needed was out of stock. Glad the refund was fair.",
    customerRating: 3,
  },
  { rating: 5, comment: "Crisp lines on every spindle. Would book again." },
  { rating: 4, comment: "Desk built and blinds up in under two hours." },
  { rating: 5, comment: "Came within the hour on a Sunday. Lifesaver.", customerRating: 5 },
];

/**
 * Demo data: reviews of the demo's finished bookings, written through the service as the apps would (so each
 * contractor's rating is the aggregate of real reviews), with some replies and some ratings of the customers.
 * Joins the caller's transaction. Finished bookings beyond these are left for the demo customers to review.
 */
export async function seedDemoReviews(
  service: ReviewsService,
  bookings: DemoFinishedBooking[],
): Promise<void> {
  const finished = bookings.filter(
    (booking) => booking.status === "released" || booking.status === "partially_refunded",
  );
  for (const [index, booking] of finished.entries()) {
    const words = said[index];
    if (!words) break;
    const customer = { id: booking.customerId, role: "customer" as const };
    const contractor = { id: booking.contractorId, role: "contractor" as const };
    const review = await service.create(customer, booking.id, {
      rating: words.rating,
      ...(words.comment ? { comment: words.comment } : {}),
    });
    if (words.reply) await service.reply(contractor, review.id, { text: words.reply });
    if (words.customerRating)
      await service.rateCustomer(contractor, booking.id, { rating: words.customerRating });
  }
}
