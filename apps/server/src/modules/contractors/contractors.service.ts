import { asc, desc, eq, sql } from "drizzle-orm";
import type pg from "pg";
import type { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { unknownCategories } from "../catalog/index.js";
import { type PublicUrl, userDirectory } from "../users/index.js";
import { type Availability, toMinutes } from "./availability.js";
import type { ContractorProfile, profileBody } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import {
  availabilityExceptions,
  availabilityWeekly,
  contractorCategories,
  contractorProfiles,
  customerProfiles,
  portfolioItems,
  verificationRequests,
} from "./contractors.tables.js";

export interface ProfileDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  publicUrl: PublicUrl;
}

type ProfileInput = z.output<typeof profileBody>;

function toTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

export function searchDocument(userId: string, headline: string, bio: string) {
  return sql`contractor_search_document((select ${userDirectory.name} from ${userDirectory} where ${userDirectory.id} = ${userId}), ${headline}, ${bio})`;
}

/**
 * The contractor's profile row, or 409 `contractor.profile_missing`: every feature under
 * /contractors/me needs the profile first. `lock` holds the row until the transaction ends, so one
 * contractor's changes that must not interleave (portfolio positions, a pending verification) queue up.
 */
export async function requireProfile(
  db: Executor,
  userId: string,
  options: { lock?: boolean; detail?: string } = {},
): Promise<{ verified: boolean; timezone: string | null }> {
  const query = db
    .select({ verified: contractorProfiles.verified, timezone: contractorProfiles.timezone })
    .from(contractorProfiles)
    .where(eq(contractorProfiles.userId, userId));
  const [row] = await (options.lock ? query.for("no key update") : query);
  if (!row) {
    throw new AppError(
      contractorErrors.profileMissing,
      options.detail ?? "You have no contractor profile yet",
    );
  }
  return row;
}

/** Rejects unknown category slugs, naming each offending entry of `field`. */
export async function assertCategories(db: Executor, slugs: string[], field: string): Promise<void> {
  const unknown = await unknownCategories(db, slugs);
  if (unknown.length > 0) {
    throw new AppError(
      contractorErrors.unknownCategory,
      `Unknown categories: ${unknown.join(", ")}; see GET /categories`,
      {
        errors: unknown.map((slug) => ({
          path: `${field}.${slugs.indexOf(slug)}`,
          code: "not_found" as const,
          message: `no category "${slug}"`,
          in: "body" as const,
        })),
      },
    );
  }
}

export async function loadAvailability(
  db: Executor,
  userId: string,
  timezone: string | null,
): Promise<Availability | null> {
  if (!timezone) return null;
  const weekly = await db
    .select()
    .from(availabilityWeekly)
    .where(eq(availabilityWeekly.userId, userId))
    .orderBy(asc(availabilityWeekly.day), asc(availabilityWeekly.startMinute));
  const exceptions = await db
    .select()
    .from(availabilityExceptions)
    .where(eq(availabilityExceptions.userId, userId))
    .orderBy(asc(availabilityExceptions.date), asc(availabilityExceptions.startMinute));
  return {
    timezone,
    weekly: weekly.map((row) => ({
      day: row.day,
      start: toTime(row.startMinute),
      end: toTime(row.endMinute),
    })),
    exceptions: exceptions.map((row) =>
      row.available && row.startMinute !== null && row.endMinute !== null
        ? { date: row.date, available: true, start: toTime(row.startMinute), end: toTime(row.endMinute) }
        : { date: row.date, available: false },
    ),
  };
}

export async function verificationStatus(db: Executor, userId: string, verified: boolean) {
  if (verified) return "verified" as const;
  const [latest] = await db
    .select({ status: verificationRequests.status })
    .from(verificationRequests)
    .where(eq(verificationRequests.contractorId, userId))
    .orderBy(desc(verificationRequests.createdAt), desc(verificationRequests.id))
    .limit(1);
  return latest?.status === "pending"
    ? ("pending" as const)
    : latest?.status === "rejected"
      ? ("rejected" as const)
      : ("unverified" as const);
}

export function createProfileService(deps: ProfileDeps) {
  const { db, pool, clock } = deps;

  async function view(executor: Executor, userId: string): Promise<ContractorProfile | undefined> {
    const [row] = await executor
      .select({ profile: contractorProfiles })
      .from(contractorProfiles)
      .where(eq(contractorProfiles.userId, userId));
    if (!row) return undefined;
    const { profile } = row;
    // One after another: inside a transaction they share one connection, which runs one query at a time.
    const [user] = await executor
      .select({ name: userDirectory.name, avatarKey: userDirectory.avatarKey })
      .from(userDirectory)
      .where(eq(userDirectory.id, userId));
    const categoryRows = await executor
      .select({ slug: contractorCategories.categorySlug })
      .from(contractorCategories)
      .where(eq(contractorCategories.userId, userId))
      .orderBy(asc(contractorCategories.categorySlug));
    const availability = await loadAvailability(executor, userId, profile.timezone);
    const status = await verificationStatus(executor, userId, profile.verified);
    if (!user) return undefined;
    return {
      id: userId,
      name: user.name,
      avatarUrl: user.avatarKey ? deps.publicUrl(user.avatarKey) : null,
      headline: profile.headline,
      bio: profile.bio,
      categorySlugs: categoryRows.map((category) => category.slug),
      hourlyRate: { amount: profile.hourlyRateAmount, currency: profile.hourlyRateCurrency },
      serviceArea: { lat: profile.lat, lng: profile.lng, radiusKm: profile.serviceRadiusKm },
      yearsExperience: profile.yearsExperience,
      verified: profile.verified,
      verificationStatus: status,
      rating: { average: Number(profile.ratingAverage), count: profile.ratingCount },
      availability,
      createdAt: profile.createdAt.toISOString(),
      updatedAt: profile.updatedAt.toISOString(),
    };
  }

  async function customerProfile(userId: string) {
    const [row] = await db.select().from(customerProfiles).where(eq(customerProfiles.userId, userId));
    return {
      defaultAddress: row?.defaultAddress ?? null,
      location: row && row.lat !== null && row.lng !== null ? { lat: row.lat, lng: row.lng } : null,
    };
  }

  return {
    view: (userId: string) => view(db, userId),

    async ownProfile(userId: string): Promise<ContractorProfile> {
      const profile = await view(db, userId);
      if (!profile) throw new AppError(contractorErrors.profileMissing, "You have no contractor profile yet");
      return profile;
    },

    async saveProfile(userId: string, input: ProfileInput): Promise<ContractorProfile> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        await assertCategories(tx.db, input.categorySlugs, "categorySlugs");
        const values = {
          headline: input.headline,
          bio: input.bio,
          hourlyRateAmount: input.hourlyRate.amount,
          hourlyRateCurrency: input.hourlyRate.currency,
          yearsExperience: input.yearsExperience ?? null,
          lat: input.serviceArea.lat,
          lng: input.serviceArea.lng,
          serviceRadiusKm: input.serviceArea.radiusKm,
          searchDocument: searchDocument(userId, input.headline, input.bio),
          updatedAt: now,
        };
        await tx.db
          .insert(contractorProfiles)
          .values({ userId, ...values, createdAt: now })
          .onConflictDoUpdate({ target: contractorProfiles.userId, set: values });
        await tx.db.delete(contractorCategories).where(eq(contractorCategories.userId, userId));
        await tx.db
          .insert(contractorCategories)
          .values(input.categorySlugs.map((categorySlug) => ({ userId, categorySlug })));
        const saved = await view(tx.db, userId);
        if (!saved) throw new Error("profile vanished inside its own transaction");
        return saved;
      });
    },

    async ownAvailability(userId: string): Promise<Availability> {
      const profile = await requireProfile(db, userId);
      return (
        (await loadAvailability(db, userId, profile.timezone)) ?? {
          timezone: "UTC",
          weekly: [],
          exceptions: [],
        }
      );
    },

    async saveAvailability(userId: string, input: Availability): Promise<Availability> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        // Search converts times with the database's zone data, which must know the zone too.
        const [zone] = (
          await tx.executeSql("select count(*)::int as known from pg_timezone_names where name = $1", [
            input.timezone,
          ])
        ).rows as { known: number }[];
        if (!zone?.known) {
          throw new AppError(
            coreErrors.validation,
            `The time zone ${input.timezone} is not known to the database`,
            {
              errors: [
                {
                  path: "timezone",
                  code: "invalid_value",
                  message: "is not a supported IANA time zone",
                  in: "body",
                },
              ],
            },
          );
        }
        await requireProfile(tx.db, userId, {
          lock: true,
          detail: "Create the contractor profile before its availability",
        });
        await tx.db
          .update(contractorProfiles)
          .set({ timezone: input.timezone, updatedAt: now })
          .where(eq(contractorProfiles.userId, userId));
        await tx.db.delete(availabilityWeekly).where(eq(availabilityWeekly.userId, userId));
        await tx.db.delete(availabilityExceptions).where(eq(availabilityExceptions.userId, userId));
        if (input.weekly.length > 0) {
          await tx.db.insert(availabilityWeekly).values(
            input.weekly.map((range) => ({
              userId,
              day: range.day,
              startMinute: toMinutes(range.start),
              endMinute: toMinutes(range.end),
            })),
          );
        }
        const exceptions = input.exceptions ?? [];
        if (exceptions.length > 0) {
          await tx.db.insert(availabilityExceptions).values(
            exceptions.map((exception) => ({
              userId,
              date: exception.date,
              available: exception.available,
              startMinute: exception.start ? toMinutes(exception.start) : null,
              endMinute: exception.end ? toMinutes(exception.end) : null,
            })),
          );
        }
        const saved = await loadAvailability(tx.db, userId, input.timezone);
        if (!saved) throw new Error("availability vanished inside its own transaction");
        return saved;
      });
    },

    customerProfile,

    async saveCustomerProfile(
      userId: string,
      input: {
        defaultAddress?: string | null | undefined;
        location?: { lat: number; lng: number } | null | undefined;
      },
    ) {
      const now = clock.now();
      const values = {
        ...(input.defaultAddress !== undefined ? { defaultAddress: input.defaultAddress } : {}),
        ...(input.location !== undefined
          ? { lat: input.location?.lat ?? null, lng: input.location?.lng ?? null }
          : {}),
        updatedAt: now,
      };
      await db
        .insert(customerProfiles)
        .values({ userId, ...values })
        .onConflictDoUpdate({ target: customerProfiles.userId, set: values });
      return customerProfile(userId);
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;

/**
 * Whether a contractor has a profile (for other modules: bookings refuse contractors without one).
 * @public
 */
export async function hasProfile(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: contractorProfiles.userId })
    .from(contractorProfiles)
    .where(eq(contractorProfiles.userId, userId));
  return row !== undefined;
}

/**
 * A deleted account's rows in this module, inside the caller's transaction: the contractor profile (with its
 * categories and availability), portfolio (images go with their items, which releases the files), verification
 * requests (their notes and documents are the person's), and the customer profile. The contractor leaves search
 * and their public profile at once.
 */
export async function eraseAccountData(db: Executor, userId: string): Promise<void> {
  await db.delete(portfolioItems).where(eq(portfolioItems.contractorId, userId));
  await db.delete(verificationRequests).where(eq(verificationRequests.contractorId, userId));
  await db.delete(contractorProfiles).where(eq(contractorProfiles.userId, userId));
  await db.delete(customerProfiles).where(eq(customerProfiles.userId, userId));
}

/**
 * For the reviews module, inside the transaction of a review change: the rating search and the public profile
 * show (average to two decimals, count), copied from the reviews module's aggregate so that search sorts and
 * filters on an indexed column. A contractor without a profile (deleted) has nothing to update.
 */
export async function setRating(
  db: Executor,
  contractorId: string,
  rating: { average: number; count: number },
): Promise<void> {
  await db
    .update(contractorProfiles)
    .set({ ratingAverage: rating.average, ratingCount: rating.count })
    .where(eq(contractorProfiles.userId, contractorId));
}
