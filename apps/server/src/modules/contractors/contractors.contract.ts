import { z } from "zod";
import { moneySchema } from "../../http/money.js";
import { withoutRepeats } from "../../http/unique.js";
import { orNull } from "../../http/validation.js";
import { availabilityExample, availabilitySchema } from "./availability.js";

/** A UUID as the database writes it (lower case): cursor parts are checked against it before reaching SQL. */
export const issuedUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const slug = z.string().trim().toLowerCase().min(1).max(50);

export const serviceAreaSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    radiusKm: z.number().gt(0, "must be more than 0").max(500, "must be at most 500"),
  })
  .meta({ id: "ServiceArea" });

export const profileBody = z
  .strictObject({
    headline: z.string().trim().min(3, "at least 3 characters").max(120, "at most 120 characters"),
    bio: z.string().trim().min(1, "is required").max(5000, "at most 5000 characters"),
    categorySlugs: withoutRepeats(
      z.array(slug).min(1, "choose at least one category").max(10, "at most 10 categories"),
      "must not repeat a category",
    ),
    hourlyRate: moneySchema,
    serviceArea: serviceAreaSchema,
    yearsExperience: z.number().int().min(0).max(80).optional(),
  })
  .meta({ id: "ContractorProfileInput" });

export const verificationStatuses = ["unverified", "pending", "verified", "rejected"] as const;

export const ratingSchema = z.object({ average: z.number(), count: z.number().int() }).meta({ id: "Rating" });

export const contractorProfileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
    headline: z.string(),
    bio: z.string(),
    categorySlugs: z.array(z.string()),
    hourlyRate: moneySchema,
    serviceArea: serviceAreaSchema,
    yearsExperience: z.number().int().nullable(),
    verified: z.boolean(),
    verificationStatus: z.enum(verificationStatuses),
    rating: ratingSchema,
    availability: orNull(availabilitySchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "ContractorProfile" });

export type ContractorProfile = z.infer<typeof contractorProfileSchema>;

/** The contractor the API document's examples show. */
export const contractorProfileExample = {
  id: "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
  name: "Tom Baker",
  avatarUrl: "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
  headline: "Certified electrician: rewiring, lighting and fuse boards",
  bio: "Fifteen years of domestic and small commercial work across north London. NICEIC registered, fully insured, tidy.",
  categorySlugs: ["electrician"],
  hourlyRate: { amount: 6500, currency: "gbp" },
  serviceArea: { lat: 51.5468, lng: -0.1031, radiusKm: 15 },
  yearsExperience: 15,
  verified: true,
  verificationStatus: "verified",
  rating: { average: 4.8, count: 37 },
  availability: availabilityExample,
  createdAt: "2026-01-12T10:03:44.120Z",
  updatedAt: "2026-02-28T18:22:09.467Z",
} satisfies ContractorProfile;

const geoPointSchema = z
  .object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
  .meta({ id: "GeoPoint", example: { lat: 51.5074, lng: -0.1278 } });

export const customerProfileBody = z
  .strictObject({
    defaultAddress: z.string().trim().min(1).max(300).nullable().optional(),
    location: orNull(geoPointSchema).optional(),
  })
  .meta({ id: "CustomerProfileInput" });

export const customerProfileSchema = z
  .object({
    defaultAddress: z.string().nullable(),
    location: orNull(geoPointSchema),
  })
  .meta({ id: "CustomerProfile" });
