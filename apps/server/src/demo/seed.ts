import type pg from "pg";
import { transaction } from "../db/transaction.js";
import type { Logger } from "../logger.js";
import { hashPassword } from "../modules/auth/index.js";
import { type BookingsService, seedDemoBookings } from "../modules/bookings/index.js";
import { seedDemoConversations } from "../modules/chat/index.js";
import {
  type DemoContractorProfile,
  seedDemoContractor,
  seedDemoCustomer,
  seedDemoVerificationRequest,
} from "../modules/contractors/index.js";
import type { FilesService } from "../modules/files/index.js";
import { backdateDemoJobExpiry, type JobsService } from "../modules/jobs/index.js";
import { seedDemoInbox } from "../modules/notifications/index.js";
import type { DemoPayments } from "../modules/payments/index.js";
import { type ReviewsService, seedDemoReviews } from "../modules/reviews/index.js";
import { hasUsers, insertUser } from "../modules/users/index.js";

/** Shared by every demo account, and printed at start: these accounts exist only on development databases. */
export const demoPassword = "sunny-demo-day-42";

interface DemoContractor extends DemoContractorProfile {
  name: string;
  email: string;
}

// Around London, so a search from the city centre (51.5074, -0.1278) finds them all.
/** Unverified contractors whose documents are in the admin's verification queue. */
const awaitingVerification = new Set(["maria.cleaner@example.com", "sophie.painter@example.com"]);

const contractors: DemoContractor[] = [
  {
    name: "Priya Patel",
    email: "priya.electrician@example.com",
    headline: "Certified electrician, EV chargers and rewiring",
    bio: "NICEIC-registered. Fuse boards, lighting, EV charger installs and safety certificates.",
    categories: ["electrician"],
    rate: 5500,
    lat: 51.5155,
    lng: -0.0922,
    radiusKm: 15,
    years: 11,
    verified: true,
  },
  {
    name: "Tom Walker",
    email: "tom.plumber@example.com",
    headline: "Emergency plumber, no call-out fee",
    bio: "Leaks, blocked drains, boilers and bathroom fits. Same-day visits across central London.",
    categories: ["plumber", "hvac"],
    rate: 6000,
    lat: 51.4975,
    lng: -0.1357,
    radiusKm: 12,
    years: 8,
    verified: true,
  },
  {
    name: "Maria Santos",
    email: "maria.cleaner@example.com",
    headline: "Deep cleans and end-of-tenancy cleaning",
    bio: "Eco-friendly products, fully insured, deposit-back guarantee for tenancy cleans.",
    categories: ["cleaner"],
    rate: 2200,
    lat: 51.5416,
    lng: -0.1426,
    radiusKm: 10,
    years: 6,
    verified: false,
  },
  {
    name: "Kwame Mensah",
    email: "kwame.carpenter@example.com",
    headline: "Bespoke carpentry and fitted wardrobes",
    bio: "Alcoves, shelving, doors and decking, built to measure in my Hackney workshop.",
    categories: ["carpenter", "handyman"],
    rate: 4500,
    lat: 51.545,
    lng: -0.0553,
    radiusKm: 20,
    years: 15,
    verified: true,
  },
  {
    name: "Sophie Turner",
    email: "sophie.painter@example.com",
    headline: "Interior painting and wallpapering",
    bio: "Clean, tidy and on time. Period properties a speciality.",
    categories: ["painter"],
    rate: 3200,
    lat: 51.4613,
    lng: -0.1156,
    radiusKm: 15,
    years: 9,
    verified: false,
  },
  {
    name: "Jan Kowalski",
    email: "jan.handyman@example.com",
    headline: "Handyman for all the small jobs",
    bio: "Flat-pack assembly, TV mounting, curtain rails, silicone and small repairs.",
    categories: ["handyman"],
    rate: 3000,
    lat: 51.5099,
    lng: -0.2,
    radiusKm: 10,
    years: 4,
    verified: false,
  },
  {
    name: "Aisha Khan",
    email: "aisha.locksmith@example.com",
    headline: "24/7 locksmith, 30-minute response",
    bio: "Lockouts, lock changes and security upgrades to British Standard.",
    categories: ["locksmith"],
    rate: 7000,
    lat: 51.5226,
    lng: -0.1571,
    radiusKm: 25,
    years: 12,
    verified: true,
  },
  {
    name: "Oliver Green",
    email: "oliver.gardener@example.com",
    headline: "Garden maintenance and design",
    bio: "Lawns, hedges, planting plans and seasonal clear-ups.",
    categories: ["gardener"],
    rate: 2800,
    lat: 51.4417,
    lng: -0.1869,
    radiusKm: 18,
    years: 7,
    verified: false,
  },
];

const customers = [
  {
    name: "Alice Brown",
    email: "alice.customer@example.com",
    address: "221B Baker Street, London NW1 6XE",
    lat: 51.5238,
    lng: -0.1586,
  },
  {
    name: "Ben Okafor",
    email: "ben.customer@example.com",
    address: "10 Clapham Common South Side, London SW4 7AA",
    lat: 51.4603,
    lng: -0.1472,
  },
];

/**
 * Fills an empty database with an admin, customers and contractors (profiles, weekday hours, Connect
 * accounts), bookings in every state between them with the money behind them (payments, transfers, refunds,
 * withdrawals) and reviews of the finished ones, so a new developer can try the API and the dashboard at once.
 * Does nothing if any account exists. The accounts, profiles, jobs and bookings up to acceptance commit all or
 * nothing; the payments steps follow through the payments service once they have.
 */
export async function seedDemoData(
  pool: pg.Pool,
  logger: Logger,
  now: Date,
  modules: {
    bookings: BookingsService;
    jobs: JobsService;
    files: FilesService;
    reviews: ReviewsService;
    payments: DemoPayments;
  },
): Promise<boolean> {
  const passwordHash = await hashPassword(demoPassword);
  const seeded = await transaction(pool, async (tx) => {
    // Serialises concurrent starts on one database: only one of them seeds.
    await tx.executeSql("select pg_advisory_xact_lock(7403118222)");
    if (await hasUsers(tx.db)) return undefined;
    // Each module writes its own part: accounts through users, profiles through contractors.
    const account = async (name: string, email: string, role: "admin" | "customer" | "contractor") => {
      const user = await insertUser(tx.db, { name, email, role, passwordHash, emailVerifiedAt: now }, now);
      if (!user) throw new Error(`demo account ${email} was not created`);
      return user.id;
    };
    const adminId = await account("Demo Admin", "admin@example.com", "admin");
    const ids = new Map<string, string>();
    const customerIds: { id: string; address: string; lat: number; lng: number }[] = [];
    for (const customer of customers) {
      const userId = await account(customer.name, customer.email, "customer");
      ids.set(customer.email, userId);
      await seedDemoCustomer(tx.db, userId, customer, now);
      customerIds.push({ id: userId, address: customer.address, lat: customer.lat, lng: customer.lng });
    }
    const contractorIds: { id: string; category: string }[] = [];
    for (const contractor of contractors) {
      const userId = await account(contractor.name, contractor.email, "contractor");
      ids.set(contractor.email, userId);
      await seedDemoContractor(tx.db, userId, contractor, now);
      contractorIds.push({ id: userId, category: contractor.categories[0] ?? "handyman" });
      // Two of the unverified contractors wait in the admin's verification queue, oldest first.
      if (!contractor.verified && awaitingVerification.has(contractor.email)) {
        await seedDemoVerificationRequest(
          tx.db,
          userId,
          `${contractor.headline}: insurance certificate and ID to follow by email.`,
          new Date(now.getTime() - (contractorIds.length + 1) * 3_600_000),
        );
      }
    }
    // Joins this transaction: the bookings commit with the accounts, or nothing does.
    const bookings = await seedDemoBookings(
      modules.bookings,
      { adminId, customers: customerIds, contractors: contractorIds },
      now,
    );
    await seedDemoJobs(modules.jobs, tx.db, ids, now);
    // Conversations for the first three booked pairs (seedDemoBookings pairs the i-th story's customer and
    // contractor round-robin), with history, an attachment and unread messages.
    await seedDemoConversations(
      tx.db,
      modules.files,
      [0, 1, 2].flatMap((index) => {
        const customer = customerIds[index % customerIds.length];
        const contractor = contractorIds[index % contractorIds.length];
        return customer && contractor ? [{ customerId: customer.id, contractorId: contractor.id }] : [];
      }),
      now,
    );
    await seedDemoInbox(tx.db, [...ids.values()], now);
    return { bookings, contractorIds, adminId, priya: ids.get(contractors[0]?.email ?? "") };
  });
  if (seeded) {
    // The money needs committed bookings (the payments service and its webhooks work in transactions of
    // their own), so it follows the commit, awaited to the end before the server reports ready.
    for (const contractor of seeded.contractorIds) await modules.payments.onboard(contractor.id);
    await seeded.bookings.finish(modules.payments);
    // Contractors' ratings come from reviews of the released bookings, through the same service as the apps'.
    await seedDemoReviews(modules.reviews, seeded.bookings.bookings);
    // The first contractor has been paid for past work: one withdrawal reached the bank, one is just asked.
    if (seeded.priya) {
      await modules.payments.withdraw(seeded.priya, 60000, "gbp", true);
      await modules.payments.withdraw(seeded.priya, 15000, "gbp", false);
    }
    logger.info(
      {
        admin: "admin@example.com",
        customer: customers[0]?.email,
        contractor: contractors[0]?.email,
        password: demoPassword,
      },
      `demo data created: sign in as admin@example.com, ${customers[0]?.email} or ${contractors[0]?.email} with the password "${demoPassword}"`,
    );
  }
  return seeded !== undefined;
}

/**
 * Job requests told through the jobs service, as the apps would make them: two open jobs with several
 * quotes, one assigned (its quote accepted, so a booking exists), one cancelled and one expired.
 */
async function seedDemoJobs(
  jobs: JobsService,
  db: Parameters<typeof backdateDemoJobExpiry>[0],
  ids: Map<string, string>,
  now: Date,
): Promise<void> {
  const as = (email: string, role: "customer" | "contractor") => {
    const id = ids.get(email);
    if (!id) throw new Error(`demo account ${email} is missing`);
    return { id, role, sessionId: "demo" };
  };
  const [alice, ben] = customers.map((customer) => ({
    user: as(customer.email, "customer"),
    location: { lat: customer.lat, lng: customer.lng, address: customer.address },
  }));
  if (!alice || !ben) throw new Error("demo customers are missing");
  const days = (count: number) => new Date(now.getTime() + count * 86_400_000).toISOString();
  const gbp = (amount: number) => ({ amount, currency: "gbp" });
  const post = (
    owner: typeof alice,
    categorySlug: string,
    title: string,
    description: string,
    budget?: number,
  ) =>
    jobs.create(owner.user, {
      title,
      description,
      categorySlug,
      location: owner.location,
      ...(budget ? { budget: gbp(budget) } : {}),
      preferredStart: days(5),
    });
  const quote = (email: string, jobId: string, amount: number, message: string) =>
    jobs.createQuote(as(email, "contractor"), jobId, { price: gbp(amount), message });

  const shelves = await post(
    alice,
    "handyman",
    "Mount a TV and put up three shelves",
    "55-inch TV on a brick wall, plus three floating shelves in the living room. Brackets are bought.",
    15000,
  );
  await quote(
    "kwame.carpenter@example.com",
    shelves.id,
    18000,
    "Happy to do it; I would bring a laser level.",
  );
  await quote("jan.handyman@example.com", shelves.id, 12000, "Two hours' work, all fixings included.");

  const wardrobe = await post(
    ben,
    "handyman",
    "Assemble a wardrobe and rehang a door",
    "A flat-pack double wardrobe, and the bedroom door sticks at the top.",
  );
  await quote("jan.handyman@example.com", wardrobe.id, 9000, "I can come on Saturday morning.");
  await quote(
    "kwame.carpenter@example.com",
    wardrobe.id,
    11000,
    "I will plane the door and refit the hinges.",
  );

  const tap = await post(
    alice,
    "plumber",
    "Replace a kitchen mixer tap",
    "The old tap drips; the new one is here.",
  );
  const tapQuote = await quote("tom.plumber@example.com", tap.id, 9500, "About an hour; old tap taken away.");
  await jobs.acceptQuote(alice.user, tap.id, tapQuote.id);

  const lights = await post(
    ben,
    "electrician",
    "Fit two outdoor wall lights",
    "Cable is already run to both spots.",
  );
  await quote("priya.electrician@example.com", lights.id, 14000, "Certified work with a test certificate.");
  await jobs.cancel(ben.user, lights.id);

  const lock = await post(
    alice,
    "locksmith",
    "Change the front-door lock",
    "A British Standard euro cylinder, please.",
  );
  await quote("aisha.locksmith@example.com", lock.id, 8500, "Same-day fitting possible.");
  await backdateDemoJobExpiry(db, lock.id, now);
  await jobs.expire(lock.id);
}
