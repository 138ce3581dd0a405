CREATE TABLE "job_attachments" (
	"job_id" uuid NOT NULL,
	"file_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	CONSTRAINT "job_attachments_job_id_file_id_pk" PRIMARY KEY("job_id","file_id")
);
--> statement-breakpoint
CREATE TABLE "job_quotes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"contractor_id" uuid NOT NULL,
	"price_amount" bigint NOT NULL,
	"price_currency" text NOT NULL,
	"message" text NOT NULL,
	"proposed_start" timestamp with time zone,
	"status" text DEFAULT 'pending' NOT NULL,
	"closed_reason" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_quotes_status" CHECK ("job_quotes"."status" in ('pending', 'accepted', 'rejected', 'withdrawn')),
	CONSTRAINT "job_quotes_price" CHECK ("job_quotes"."price_amount" between 0 and 100000000 and "job_quotes"."price_currency" ~ '^[a-z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"category_slug" text NOT NULL,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	"address" text NOT NULL,
	"budget_amount" bigint,
	"budget_currency" text,
	"preferred_start" timestamp with time zone,
	"status" text DEFAULT 'open' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"assigned_contractor_id" uuid,
	"booking_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_status" CHECK ("jobs"."status" in ('open', 'assigned', 'cancelled', 'expired')),
	CONSTRAINT "jobs_lat" CHECK ("jobs"."lat" between -90 and 90),
	CONSTRAINT "jobs_lng" CHECK ("jobs"."lng" between -180 and 180),
	CONSTRAINT "jobs_budget" CHECK (("jobs"."budget_amount" is null and "jobs"."budget_currency" is null) or ("jobs"."budget_amount" between 0 and 100000000 and "jobs"."budget_currency" ~ '^[a-z]{3}$')),
	CONSTRAINT "jobs_assigned" CHECK (("jobs"."status" = 'assigned') = ("jobs"."assigned_contractor_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "job_attachments" ADD CONSTRAINT "job_attachments_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_attachments" ADD CONSTRAINT "job_attachments_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_quotes" ADD CONSTRAINT "job_quotes_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_quotes" ADD CONSTRAINT "job_quotes_contractor_id_users_id_fk" FOREIGN KEY ("contractor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_customer_id_users_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_category_slug_categories_slug_fk" FOREIGN KEY ("category_slug") REFERENCES "public"."categories"("slug") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_assigned_contractor_id_users_id_fk" FOREIGN KEY ("assigned_contractor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "job_attachments_file" ON "job_attachments" USING btree ("file_id");--> statement-breakpoint
CREATE UNIQUE INDEX "job_quotes_one_per_contractor" ON "job_quotes" USING btree ("job_id","contractor_id");--> statement-breakpoint
CREATE INDEX "job_quotes_job_order" ON "job_quotes" USING btree ("job_id","created_at","id");--> statement-breakpoint
CREATE INDEX "job_quotes_contractor_pending" ON "job_quotes" USING btree ("contractor_id") WHERE "job_quotes"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "jobs_customer_order" ON "jobs" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "jobs_open_category_order" ON "jobs" USING btree ("category_slug","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "jobs"."status" = 'open';--> statement-breakpoint
CREATE INDEX "jobs_open_expiry" ON "jobs" USING btree ("expires_at") WHERE "jobs"."status" = 'open';