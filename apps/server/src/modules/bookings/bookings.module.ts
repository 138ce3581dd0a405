import type { Server } from "socket.io";
import { workEach } from "../../jobs/queue.js";
import { type RealtimeServer, userRoom } from "../../realtime/socket.js";
import type { Module } from "../module.js";
import type { BookingView } from "./bookings.contract.js";
import { bookingRoutes } from "./bookings.routes.js";
import {
  type BookingChange,
  type BookingsDeps,
  type BookingsService,
  bookingAutoReleaseQueue,
  bookingChangedQueue,
  bookingExpireQueue,
  createBookingsService,
} from "./bookings.service.js";

/** What the server pushes about bookings. */
interface BookingEvents {
  "booking:updated": (payload: { booking: BookingView }) => void;
}

/**
 * Bookings: the lifecycle's routes, its timers (request expiry, auto-release) and the worker that turns each
 * committed change into a `booking:updated` event for both parties (and for the change's other consumers).
 */
export function createBookingsModule(deps: BookingsDeps): Module<BookingsService> {
  const service = createBookingsService(deps);
  // Workers start before the HTTP server and its Socket.IO exist; a change delivered before then has no
  // connected client to reach anyway.
  let io: Server<Record<string, never>, BookingEvents> | undefined;
  const emit = (booking: BookingView) => {
    io?.to([userRoom(booking.customer.id), userRoom(booking.contractor.id)]).emit("booking:updated", {
      booking,
    });
  };
  return {
    name: "bookings",
    service,
    routes: bookingRoutes(service),
    async jobs(queue) {
      await queue.createQueue(bookingChangedQueue);
      await queue.createQueue(bookingExpireQueue);
      await queue.createQueue(bookingAutoReleaseQueue);
      await workEach<BookingChange>(queue, bookingChangedQueue, (change) => service.deliver(change, emit));
      await workEach<{ bookingId: string }>(queue, bookingExpireQueue, (job) =>
        service.expire(job.bookingId),
      );
      await workEach<{ bookingId: string }>(queue, bookingAutoReleaseQueue, (job) =>
        service.autoRelease(job.bookingId),
      );
    },
    sockets(server: RealtimeServer) {
      // The realtime core types no server events of its own; this module's are declared above.
      io = server as unknown as Server<Record<string, never>, BookingEvents>;
    },
  };
}
