import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";
import { z } from "zod";

// argon2id with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane.
// (`algorithm: 2` is Algorithm.Argon2id; the package exports it as a const enum, unusable with isolatedModules.)
const argon2Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, for logins with an unknown email: the answer's timing
 * must not reveal whether an account exists.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword("jobsphere-timing-equaliser");
  await verifyPassword(await dummy, password);
}

const commonPasswords = new Set(dictionary["passwords-common"].map((word) => word.toLowerCase()));

/**
 * NIST SP 800-63B: 8 to 128 characters, any characters, no composition rules, and not a commonly used or
 * breached password (about 50,000 of the most common ones are refused).
 */
export const passwordSchema = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(128, "must be at most 128 characters")
  .refine((password) => !commonPasswords.has(password.toLowerCase()), {
    message: "is too common; choose a less guessable password",
    params: { code: "too_common" },
  })
  .refine((password) => !/^(.)\1+$/.test(password), {
    message: "must not repeat a single character",
    params: { code: "too_common" },
  })
  .refine((password) => !/jobsphere/i.test(password), {
    message: "must not contain the name of the service",
    params: { code: "too_common" },
  });
