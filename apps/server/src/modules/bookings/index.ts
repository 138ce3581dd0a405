/** @public For the jobs module: the answer of accepting a quote is a booking. */
export { type BookingView, bookingSchema, statusFilter as bookingStatusFilter } from "./bookings.contract.js";
export {
  type DemoBooking,
  type DemoBookingPeople,
  type DemoMoney,
  seedDemoBookings,
} from "./bookings.demo.js";
/** @public For modules whose routes reach bookings (jobs, payments, admin): the errors they may answer. */
export { bookingErrors } from "./bookings.errors.js";
/** For the admin and payments modules' OpenAPI examples: the same booking and people as the booking routes'. */
export { answeredDisputeExample, exampleContractorId, exampleCustomerId } from "./bookings.examples.js";
export type { BookingStatus } from "./bookings.machine.js";
export { createBookingsModule } from "./bookings.module.js";
/** For the admin module: every booking, any booking, and the overview's figures (read-only). */
export { type BookingFilter, bookingById, bookingFigures, listAllBookings } from "./bookings.oversight.js";
/** Read-only: for the ledger check (money held per booking), the chat (a pair's bookings) and reviews (who may rate whom). */
export { bookingFacts, bookingMoney, bookingsBetween, fundsHeldStatuses } from "./bookings.read.js";
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
