/** @public For the jobs module: the answer of accepting a quote is a booking. */
export { type BookingView, bookingSchema } from "./bookings.contract.js";
export { type DemoBookingPeople, seedDemoBookings } from "./bookings.demo.js";
/** @public For modules whose routes reach bookings (jobs, payments, admin): the errors they may answer. */
export { bookingErrors } from "./bookings.errors.js";
export type { BookingStatus } from "./bookings.machine.js";
export { createBookingsModule } from "./bookings.module.js";
export { bookingMoney, fundsHeldStatuses } from "./bookings.read.js";
export type {
  BookingChange,
  BookingChangeListener,
  BookingMoney,
  BookingSettings,
  BookingsService,
  BookingTransition,
  BookingTransitionHook,
  QuoteBookingInput,
} from "./bookings.service.js";
