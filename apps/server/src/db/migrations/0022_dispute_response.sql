ALTER TABLE "bookings" ADD COLUMN "dispute_response" text;--> statement-breakpoint
ALTER TABLE "bookings" ADD COLUMN "dispute_response_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_dispute_response" CHECK (("bookings"."dispute_response" is null) = ("bookings"."dispute_response_at" is null));