import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  randomInt,
} from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, type JWK, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { type Role, roles } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { authErrors } from "./auth.errors.js";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id: the RFC 7638 thumbprint of the public key, in every token header. */
  kid: string;
  publicJwk: JWK;
  /** Secret for HMAC-signed file URLs, derived from the private key so deployments configure one secret. */
  urlSigningKey: Buffer;
}

/**
 * The Ed25519 key access tokens are signed with: from configuration (PEM), or generated once and kept in
 * `<dataDir>/keys/` so tokens survive restarts of a development server.
 */
export async function loadSigningKey(pem: string | undefined, dataDir: string): Promise<SigningKey> {
  let privatePem = pem;
  if (!privatePem) {
    const file = join(dataDir, "keys", "jwt-ed25519.pem");
    privatePem = await readFile(file, "utf8").catch(() => undefined);
    if (!privatePem) {
      const generated = generateKeyPairSync("ed25519")
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString();
      await mkdir(join(dataDir, "keys"), { recursive: true, mode: 0o700 });
      await writeFile(file, generated, { mode: 0o600, flag: "wx" }).catch(() => undefined);
      privatePem = await readFile(file, "utf8");
    }
  }
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new Error("JWT_PRIVATE_KEY must be an Ed25519 private key");
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const urlSigningKey = Buffer.from(
    hkdfSync(
      "sha256",
      privateKey.export({ type: "pkcs8", format: "der" }),
      "jobsphere",
      "file-url-signing",
      32,
    ),
  );
  return {
    privateKey,
    publicKey,
    kid,
    publicJwk: { ...publicJwk, kid, alg: "EdDSA", use: "sig" },
    urlSigningKey,
  };
}

export interface AccessClaims {
  userId: string;
  role: Role;
  sessionId: string;
}

export interface TokenIssuer {
  urlSigningKey: Buffer;
  issueAccessToken(claims: AccessClaims, now: Date): Promise<{ token: string; expiresAt: Date }>;
  verifyAccessToken(token: string, now: Date): Promise<AccessClaims>;
  jwks(): { keys: JWK[] };
}

const audience = "jobsphere-api";

/** Verified access tokens remembered at most (each one is a few hundred bytes). */
const verifiedTokensKept = 50_000;

export function createTokenIssuer(
  key: SigningKey,
  options: { issuer: string; ttlSeconds: number },
): TokenIssuer {
  // A token's signature and claims never change: one verified is remembered until it expires, so an app's
  // next requests with it skip the signature check. What it grants is still decided per request (sessions).
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  const remember = (token: string, claims: AccessClaims, expiresAtMs: number) => {
    if (verified.size >= verifiedTokensKept) {
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(token, { claims, expiresAtMs });
  };
  return {
    async issueAccessToken(claims, now) {
      const issuedAt = Math.floor(now.getTime() / 1000);
      const expiresAt = new Date((issuedAt + options.ttlSeconds) * 1000);
      const token = await new SignJWT({ role: claims.role, sid: claims.sessionId })
        .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key.privateKey);
      return { token, expiresAt };
    },

    async verifyAccessToken(token, now) {
      const known = verified.get(token);
      // Past its expiry, the full check below gives the answer (`auth.token_expired`).
      if (known && now.getTime() < known.expiresAtMs) return known.claims;
      try {
        const { payload } = await jwtVerify(token, key.publicKey, {
          algorithms: ["EdDSA"],
          issuer: options.issuer,
          audience,
          typ: "at+jwt",
          currentDate: now,
          requiredClaims: ["sub", "sid", "exp", "iat"],
        });
        const role = payload.role;
        if (
          typeof payload.sub !== "string" ||
          typeof payload.sid !== "string" ||
          !roles.includes(role as Role)
        ) {
          throw new AppError(authErrors.invalidToken, "The access token lacks required claims");
        }
        const claims = { userId: payload.sub, role: role as Role, sessionId: payload.sid };
        if (typeof payload.exp === "number") remember(token, claims, payload.exp * 1000);
        return claims;
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof joseErrors.JWTExpired) {
          throw new AppError(authErrors.tokenExpired, "The access token has expired; refresh it");
        }
        throw new AppError(authErrors.invalidToken, "The access token is not valid");
      }
    },

    jwks: () => ({ keys: [key.publicJwk] }),
    urlSigningKey: key.urlSigningKey,
  };
}

/** Opaque refresh tokens and one-time codes are stored only as hashes. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** 256 bits of randomness, URL-safe. */
export function newRefreshToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A uniformly random six-digit code. */
export function newSixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}
