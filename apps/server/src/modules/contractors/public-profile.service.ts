import { and, eq } from "drizzle-orm";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { userDirectory } from "../users/index.js";
import { summariseAvailability } from "./availability.js";
import type { ContractorProfile } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import type { ContactPolicy, PublicContractor } from "./public-profile.contract.js";
import { publicCentre } from "./service-area.js";

export interface PublicProfileDeps {
  db: Database;
  clock: Clock;
  /** The contractor's full profile (the profile service's view). */
  profileOf: (contractorId: string) => Promise<ContractorProfile | undefined>;
  portfolioOf: (contractorId: string) => Promise<PublicContractor["portfolio"]>;
  contactVisible: ContactPolicy;
}

export function createPublicProfileService(deps: PublicProfileDeps) {
  return {
    /** What anyone may see of an active contractor; `contact` only for themselves, admins and booked customers. */
    async view(contractorId: string, viewer: AuthUser | undefined): Promise<PublicContractor> {
      const [account] = await deps.db
        .select({
          email: userDirectory.email,
          phone: userDirectory.phone,
          createdAt: userDirectory.createdAt,
        })
        .from(userDirectory)
        .where(
          and(
            eq(userDirectory.id, contractorId),
            eq(userDirectory.status, "active"),
            eq(userDirectory.role, "contractor"),
          ),
        );
      const profile = account ? await deps.profileOf(contractorId) : undefined;
      if (!account || !profile) throw new AppError(contractorErrors.notFound, "No contractor with this id");
      const summary = profile.availability
        ? summariseAvailability(profile.availability, deps.clock.now())
        : undefined;
      const showContact =
        viewer !== undefined &&
        (viewer.id === contractorId ||
          viewer.role === "admin" ||
          (await deps.contactVisible(viewer.id, contractorId)));
      return {
        id: profile.id,
        name: profile.name,
        avatarUrl: profile.avatarUrl,
        headline: profile.headline,
        bio: profile.bio,
        categorySlugs: profile.categorySlugs,
        hourlyRate: profile.hourlyRate,
        serviceArea: { ...publicCentre(profile.serviceArea), radiusKm: profile.serviceArea.radiusKm },
        yearsExperience: profile.yearsExperience,
        verified: profile.verified,
        rating: profile.rating,
        portfolio: await deps.portfolioOf(contractorId),
        availability:
          profile.availability && summary ? { ...summary, weekly: profile.availability.weekly } : null,
        contact: showContact ? { email: account.email, phone: account.phone } : null,
        memberSince: account.createdAt.toISOString(),
      };
    },
  };
}

export type PublicProfileService = ReturnType<typeof createPublicProfileService>;
