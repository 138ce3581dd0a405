CREATE TABLE "categories" (
	"slug" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "availability_exceptions" (
	"user_id" uuid NOT NULL,
	"date" date NOT NULL,
	"available" boolean NOT NULL,
	"start_minute" smallint,
	"end_minute" smallint,
	CONSTRAINT "availability_exceptions_range" CHECK ((not "availability_exceptions"."available" and "availability_exceptions"."start_minute" is null and "availability_exceptions"."end_minute" is null) or ("availability_exceptions"."available" and "availability_exceptions"."start_minute" >= 0 and "availability_exceptions"."start_minute" < "availability_exceptions"."end_minute" and "availability_exceptions"."end_minute" <= 1440))
);
--> statement-breakpoint
CREATE TABLE "availability_weekly" (
	"user_id" uuid NOT NULL,
	"day" smallint NOT NULL,
	"start_minute" smallint NOT NULL,
	"end_minute" smallint NOT NULL,
	CONSTRAINT "availability_weekly_day" CHECK ("availability_weekly"."day" between 0 and 6),
	CONSTRAINT "availability_weekly_range" CHECK ("availability_weekly"."start_minute" >= 0 and "availability_weekly"."start_minute" < "availability_weekly"."end_minute" and "availability_weekly"."end_minute" <= 1440)
);
--> statement-breakpoint
CREATE TABLE "contractor_categories" (
	"user_id" uuid NOT NULL,
	"category_slug" text NOT NULL,
	CONSTRAINT "contractor_categories_user_id_category_slug_pk" PRIMARY KEY("user_id","category_slug")
);
--> statement-breakpoint
CREATE TABLE "contractor_profiles" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"headline" text NOT NULL,
	"bio" text NOT NULL,
	"hourly_rate_amount" bigint NOT NULL,
	"hourly_rate_currency" text NOT NULL,
	"years_experience" integer,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	"service_radius_km" double precision NOT NULL,
	"verified" boolean DEFAULT false NOT NULL,
	"rating_average" numeric(3, 2) DEFAULT 0 NOT NULL,
	"rating_count" integer DEFAULT 0 NOT NULL,
	"timezone" text,
	"search_document" "tsvector" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contractor_profiles_rate" CHECK ("contractor_profiles"."hourly_rate_amount" >= 0 and "contractor_profiles"."hourly_rate_amount" <= 100000000),
	CONSTRAINT "contractor_profiles_currency" CHECK ("contractor_profiles"."hourly_rate_currency" ~ '^[a-z]{3}$'),
	CONSTRAINT "contractor_profiles_lat" CHECK ("contractor_profiles"."lat" between -90 and 90),
	CONSTRAINT "contractor_profiles_lng" CHECK ("contractor_profiles"."lng" between -180 and 180),
	CONSTRAINT "contractor_profiles_radius" CHECK ("contractor_profiles"."service_radius_km" > 0 and "contractor_profiles"."service_radius_km" <= 500),
	CONSTRAINT "contractor_profiles_years" CHECK ("contractor_profiles"."years_experience" is null or "contractor_profiles"."years_experience" between 0 and 80),
	CONSTRAINT "contractor_profiles_rating" CHECK ("contractor_profiles"."rating_average" between 0 and 5 and "contractor_profiles"."rating_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "customer_profiles" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"default_address" text,
	"lat" double precision,
	"lng" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_profiles_point" CHECK (("customer_profiles"."lat" is null) = ("customer_profiles"."lng" is null)),
	CONSTRAINT "customer_profiles_lat" CHECK ("customer_profiles"."lat" is null or "customer_profiles"."lat" between -90 and 90),
	CONSTRAINT "customer_profiles_lng" CHECK ("customer_profiles"."lng" is null or "customer_profiles"."lng" between -180 and 180)
);
--> statement-breakpoint
CREATE TABLE "portfolio_images" (
	"item_id" uuid NOT NULL,
	"file_id" uuid NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "portfolio_images_item_id_file_id_pk" PRIMARY KEY("item_id","file_id")
);
--> statement-breakpoint
CREATE TABLE "portfolio_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"contractor_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"position" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verification_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"contractor_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"note" text,
	"documents" jsonb NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "verification_requests_status" CHECK ("verification_requests"."status" in ('pending', 'approved', 'rejected'))
);
--> statement-breakpoint
ALTER TABLE "availability_exceptions" ADD CONSTRAINT "availability_exceptions_user_id_contractor_profiles_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."contractor_profiles"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "availability_weekly" ADD CONSTRAINT "availability_weekly_user_id_contractor_profiles_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."contractor_profiles"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contractor_categories" ADD CONSTRAINT "contractor_categories_user_id_contractor_profiles_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."contractor_profiles"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contractor_categories" ADD CONSTRAINT "contractor_categories_category_slug_categories_slug_fk" FOREIGN KEY ("category_slug") REFERENCES "public"."categories"("slug") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contractor_profiles" ADD CONSTRAINT "contractor_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_profiles" ADD CONSTRAINT "customer_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_images" ADD CONSTRAINT "portfolio_images_item_id_portfolio_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."portfolio_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_images" ADD CONSTRAINT "portfolio_images_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_items" ADD CONSTRAINT "portfolio_items_contractor_id_contractor_profiles_user_id_fk" FOREIGN KEY ("contractor_id") REFERENCES "public"."contractor_profiles"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verification_requests" ADD CONSTRAINT "verification_requests_contractor_id_users_id_fk" FOREIGN KEY ("contractor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verification_requests" ADD CONSTRAINT "verification_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "availability_exceptions_user_date" ON "availability_exceptions" USING btree ("user_id","date");--> statement-breakpoint
CREATE INDEX "availability_weekly_user_day" ON "availability_weekly" USING btree ("user_id","day");--> statement-breakpoint
CREATE INDEX "contractor_categories_category" ON "contractor_categories" USING btree ("category_slug","user_id");--> statement-breakpoint
CREATE INDEX "contractor_profiles_location" ON "contractor_profiles" USING btree ("lat","lng");--> statement-breakpoint
CREATE INDEX "contractor_profiles_rating_order" ON "contractor_profiles" USING btree ("rating_average" DESC NULLS LAST,"user_id");--> statement-breakpoint
CREATE INDEX "contractor_profiles_price_order" ON "contractor_profiles" USING btree ("hourly_rate_currency","hourly_rate_amount","user_id");--> statement-breakpoint
CREATE INDEX "contractor_profiles_search" ON "contractor_profiles" USING gin ("search_document");--> statement-breakpoint
CREATE UNIQUE INDEX "portfolio_images_file" ON "portfolio_images" USING btree ("file_id");--> statement-breakpoint
CREATE INDEX "portfolio_items_contractor" ON "portfolio_items" USING btree ("contractor_id","position");--> statement-breakpoint
CREATE INDEX "verification_requests_contractor" ON "verification_requests" USING btree ("contractor_id","created_at");--> statement-breakpoint
CREATE INDEX "verification_requests_status" ON "verification_requests" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "verification_requests_one_pending" ON "verification_requests" USING btree ("contractor_id") WHERE "verification_requests"."status" = 'pending';