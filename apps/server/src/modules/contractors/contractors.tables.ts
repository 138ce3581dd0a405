import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { categories } from "../catalog/catalog.tables.js";
import { files } from "../files/files.tables.js";
import { users } from "../users/users.tables.js";
import { capRangesSql, publicCoordinateSql } from "./service-area.js";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });
const point = customType<{ data: string }>({ dataType: () => "point" });
const int4range = customType<{ data: string }>({ dataType: () => "int4range" });

const publicLat = publicCoordinateSql(sql`lat`);
const publicLng = publicCoordinateSql(sql`lng`);
const serviceArea = capRangesSql(publicLat, publicLng, sql`service_radius_km`);

/** A contractor's public profile: one per contractor account. */
export const contractorProfiles = pgTable(
  "contractor_profiles",
  {
    userId: uuid()
      .primaryKey()
      .references(() => users.id),
    headline: text().notNull(),
    bio: text().notNull(),
    hourlyRateAmount: bigint({ mode: "number" }).notNull(),
    hourlyRateCurrency: text().notNull(),
    yearsExperience: integer(),
    /** Centre of the service area. */
    lat: doublePrecision().notNull(),
    lng: doublePrecision().notNull(),
    serviceRadiusKm: doublePrecision().notNull(),
    /** The public (rounded) centre as (lng, lat): everything search tells about place is measured from it. */
    publicCentre: point().generatedAlwaysAs(sql`point(${publicLng}, ${publicLat})`),
    /**
     * The latitudes and longitudes the service area around the public centre spans: whoever's ranges do not
     * hold a point cannot cover it, which the location index answers without reading the rows.
     */
    serviceLatitudes: int4range().generatedAlwaysAs(serviceArea.latitudes),
    serviceLongitudes: int4range().generatedAlwaysAs(serviceArea.longitudes),
    /** Set only by an admin's decision on a verification request. */
    verified: boolean().notNull().default(false),
    /** The reviews module's aggregate of visible reviews, copied here by `setRating` in the same transaction. */
    ratingAverage: numeric({ precision: 3, scale: 2, mode: "number" }).notNull().default(0),
    ratingCount: integer().notNull().default(0),
    /** IANA zone of the weekly hours; null until availability is set. */
    timezone: text(),
    /** Name, headline and bio for full-text search; kept current by the service and by a trigger on users.name. */
    searchDocument: tsvector().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check(
      "contractor_profiles_rate",
      sql`${table.hourlyRateAmount} >= 0 and ${table.hourlyRateAmount} <= 100000000`,
    ),
    check("contractor_profiles_currency", sql`${table.hourlyRateCurrency} ~ '^[a-z]{3}$'`),
    check("contractor_profiles_lat", sql`${table.lat} between -90 and 90`),
    check("contractor_profiles_lng", sql`${table.lng} between -180 and 180`),
    check(
      "contractor_profiles_radius",
      sql`${table.serviceRadiusKm} > 0 and ${table.serviceRadiusKm} <= 500`,
    ),
    check(
      "contractor_profiles_years",
      sql`${table.yearsExperience} is null or ${table.yearsExperience} between 0 and 80`,
    ),
    check(
      "contractor_profiles_rating",
      sql`${table.ratingAverage} between 0 and 5 and ${table.ratingCount} >= 0`,
    ),
    // Nearest public centre first (KNN on the first column), among the service areas that contain the point.
    index("contractor_profiles_location").using(
      "gist",
      table.publicCentre,
      table.serviceLatitudes,
      table.serviceLongitudes,
    ),
    // The exact orders search pages through: rating (then count), price within a currency, price overall.
    index("contractor_profiles_rating_rank").on(
      table.ratingAverage.desc().nullsLast(),
      table.ratingCount.desc().nullsLast(),
      table.userId,
    ),
    index("contractor_profiles_price_order").on(
      table.hourlyRateCurrency,
      table.hourlyRateAmount,
      table.userId,
    ),
    index("contractor_profiles_amount_order").on(table.hourlyRateAmount, table.userId),
    index("contractor_profiles_search").using("gin", table.searchDocument),
  ],
);

export const contractorCategories = pgTable(
  "contractor_categories",
  {
    userId: uuid()
      .notNull()
      .references(() => contractorProfiles.userId, { onDelete: "cascade" }),
    categorySlug: text()
      .notNull()
      .references(() => categories.slug),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.categorySlug] }),
    index("contractor_categories_category").on(table.categorySlug, table.userId),
  ],
);

/** Weekly hours as rows, so search can ask "available at T" in SQL for many contractors at once. */
export const availabilityWeekly = pgTable(
  "availability_weekly",
  {
    userId: uuid()
      .notNull()
      .references(() => contractorProfiles.userId, { onDelete: "cascade" }),
    /** 0 = Sunday … 6 = Saturday. */
    day: smallint().notNull(),
    /** Minutes after local midnight; end 1440 means the end of the day. */
    startMinute: smallint().notNull(),
    endMinute: smallint().notNull(),
  },
  (table) => [
    index("availability_weekly_user_day").on(table.userId, table.day),
    check("availability_weekly_day", sql`${table.day} between 0 and 6`),
    check(
      "availability_weekly_range",
      sql`${table.startMinute} >= 0 and ${table.startMinute} < ${table.endMinute} and ${table.endMinute} <= 1440`,
    ),
  ],
);

export const availabilityExceptions = pgTable(
  "availability_exceptions",
  {
    userId: uuid()
      .notNull()
      .references(() => contractorProfiles.userId, { onDelete: "cascade" }),
    date: date({ mode: "string" }).notNull(),
    available: boolean().notNull(),
    startMinute: smallint(),
    endMinute: smallint(),
  },
  (table) => [
    index("availability_exceptions_user_date").on(table.userId, table.date),
    check(
      "availability_exceptions_range",
      sql`(not ${table.available} and ${table.startMinute} is null and ${table.endMinute} is null) or (${table.available} and ${table.startMinute} >= 0 and ${table.startMinute} < ${table.endMinute} and ${table.endMinute} <= 1440)`,
    ),
  ],
);

export const portfolioItems = pgTable(
  "portfolio_items",
  {
    id: id(),
    contractorId: uuid()
      .notNull()
      .references(() => contractorProfiles.userId),
    title: text().notNull(),
    description: text(),
    /** Display order among the contractor's items, 0 first. */
    position: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("portfolio_items_contractor").on(table.contractorId, table.position)],
);

export const portfolioImages = pgTable(
  "portfolio_images",
  {
    itemId: uuid()
      .notNull()
      .references(() => portfolioItems.id, { onDelete: "cascade" }),
    fileId: uuid()
      .notNull()
      .references(() => files.id),
    position: integer().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.itemId, table.fileId] }),
    uniqueIndex("portfolio_images_file").on(table.fileId),
  ],
);

/** A contractor's request to be verified, with its documents; an admin decides. */
export const verificationRequests = pgTable(
  "verification_requests",
  {
    id: id(),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    status: text({ enum: ["pending", "approved", "rejected"] })
      .notNull()
      .default("pending"),
    note: text(),
    /** Ids of the `verification_document` files, in the order submitted. */
    documents: jsonb().$type<string[]>().notNull(),
    decidedBy: uuid().references(() => users.id),
    decidedAt: timestamp({ withTimezone: true }),
    reason: text(),
    createdAt: createdAt(),
  },
  (table) => [
    index("verification_requests_contractor").on(table.contractorId, table.createdAt),
    index("verification_requests_status").on(table.status, table.createdAt),
    uniqueIndex("verification_requests_one_pending")
      .on(table.contractorId)
      .where(sql`${table.status} = 'pending'`),
    check("verification_requests_status", sql`${table.status} in ('pending', 'approved', 'rejected')`),
  ],
);

/** Customers' lighter profile: where they usually need work done. */
export const customerProfiles = pgTable(
  "customer_profiles",
  {
    userId: uuid()
      .primaryKey()
      .references(() => users.id),
    defaultAddress: text(),
    lat: doublePrecision(),
    lng: doublePrecision(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("customer_profiles_point", sql`(${table.lat} is null) = (${table.lng} is null)`),
    check("customer_profiles_lat", sql`${table.lat} is null or ${table.lat} between -90 and 90`),
    check("customer_profiles_lng", sql`${table.lng} is null or ${table.lng} between -180 and 180`),
  ],
);
