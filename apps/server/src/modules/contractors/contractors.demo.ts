import type { Executor } from "../../db/client.js";
import { toMinutes } from "./availability.js";
import { searchDocument } from "./contractors.service.js";
import {
  availabilityWeekly,
  contractorCategories,
  contractorProfiles,
  customerProfiles,
  verificationRequests,
} from "./contractors.tables.js";

export interface DemoContractorProfile {
  headline: string;
  bio: string;
  categories: string[];
  /** Hourly rate in pence. */
  rate: number;
  lat: number;
  lng: number;
  radiusKm: number;
  years: number;
  verified: boolean;
}

/**
 * Demo data for a new development database: a contractor's profile with weekday hours in London. Writes what
 * no public route may (verification), which is why it is its own function and not the service's.
 */
export async function seedDemoContractor(
  db: Executor,
  userId: string,
  profile: DemoContractorProfile,
  now: Date,
): Promise<void> {
  await db.insert(contractorProfiles).values({
    userId,
    headline: profile.headline,
    bio: profile.bio,
    hourlyRateAmount: profile.rate,
    hourlyRateCurrency: "gbp",
    yearsExperience: profile.years,
    lat: profile.lat,
    lng: profile.lng,
    serviceRadiusKm: profile.radiusKm,
    verified: profile.verified,
    timezone: "Europe/London",
    searchDocument: searchDocument(userId, profile.headline, profile.bio),
    createdAt: now,
    updatedAt: now,
  });
  await db
    .insert(contractorCategories)
    .values(profile.categories.map((categorySlug) => ({ userId, categorySlug })));
  await db.insert(availabilityWeekly).values(
    [1, 2, 3, 4, 5].map((day) => ({
      userId,
      day,
      startMinute: toMinutes("08:00"),
      endMinute: toMinutes("18:00"),
    })),
  );
}

/** Demo data: a customer's default address and point. */
export async function seedDemoCustomer(
  db: Executor,
  userId: string,
  customer: { address: string; lat: number; lng: number },
  now: Date,
): Promise<void> {
  await db.insert(customerProfiles).values({
    userId,
    defaultAddress: customer.address,
    lat: customer.lat,
    lng: customer.lng,
    updatedAt: now,
  });
}

/**
 * Demo data: a pending verification request, so the admin queue has something to decide. Its documents would be
 * uploads; the demo has none, and its note says so.
 */
export async function seedDemoVerificationRequest(
  db: Executor,
  contractorId: string,
  note: string,
  at: Date,
): Promise<void> {
  await db.insert(verificationRequests).values({ contractorId, note, documents: [], createdAt: at });
}
