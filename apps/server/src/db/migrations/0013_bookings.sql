CREATE TABLE "booking_history" (
	"id" uuid PRIMARY KEY NOT NULL,
	"booking_id" uuid NOT NULL,
	"from_status" text,
	"status" text NOT NULL,
	"by_user_id" uuid,
	"note" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bookings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"contractor_id" uuid NOT NULL,
	"category_slug" text NOT NULL,
	"description" text NOT NULL,
	"scheduled_start" timestamp with time zone NOT NULL,
	"scheduled_end" timestamp with time zone,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	"address" text NOT NULL,
	"price_amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"commission_amount" bigint,
	"contractor_amount" bigint,
	"refund_amount" bigint,
	"dispute_reason" text,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bookings_status" CHECK ("bookings"."status" in ('requested','accepted','declined','expired','funded','in_progress','completed','released','disputed','refunded','partially_refunded','cancelled')),
	CONSTRAINT "bookings_price" CHECK ("bookings"."price_amount" > 0 and "bookings"."price_amount" <= 100000000),
	CONSTRAINT "bookings_currency" CHECK ("bookings"."currency" ~ '^[a-z]{3}$'),
	CONSTRAINT "bookings_amounts" CHECK (("bookings"."commission_amount" is null or "bookings"."commission_amount" between 0 and "bookings"."price_amount")
        and ("bookings"."contractor_amount" is null or "bookings"."contractor_amount" between 0 and "bookings"."price_amount")
        and ("bookings"."refund_amount" is null or "bookings"."refund_amount" between 0 and "bookings"."price_amount")),
	CONSTRAINT "bookings_schedule" CHECK ("bookings"."scheduled_end" is null or "bookings"."scheduled_end" > "bookings"."scheduled_start"),
	CONSTRAINT "bookings_parties" CHECK ("bookings"."customer_id" <> "bookings"."contractor_id"),
	CONSTRAINT "bookings_lat" CHECK ("bookings"."lat" between -90 and 90),
	CONSTRAINT "bookings_lng" CHECK ("bookings"."lng" between -180 and 180)
);
--> statement-breakpoint
ALTER TABLE "booking_history" ADD CONSTRAINT "booking_history_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_history" ADD CONSTRAINT "booking_history_by_user_id_users_id_fk" FOREIGN KEY ("by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_customer_id_users_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_contractor_id_users_id_fk" FOREIGN KEY ("contractor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_category_slug_categories_slug_fk" FOREIGN KEY ("category_slug") REFERENCES "public"."categories"("slug") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "booking_history_booking" ON "booking_history" USING btree ("booking_id","at","id");--> statement-breakpoint
CREATE INDEX "bookings_customer" ON "bookings" USING btree ("customer_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "bookings_contractor" ON "bookings" USING btree ("contractor_id","id" DESC NULLS LAST);