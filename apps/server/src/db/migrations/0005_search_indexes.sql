DROP INDEX "contractor_profiles_rating_order";--> statement-breakpoint
CREATE INDEX "contractor_profiles_rating_rank" ON "contractor_profiles" USING btree ("rating_average" DESC NULLS LAST,"rating_count" DESC NULLS LAST,"user_id");--> statement-breakpoint
CREATE INDEX "contractor_profiles_amount_order" ON "contractor_profiles" USING btree ("hourly_rate_amount","user_id");