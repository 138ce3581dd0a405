/** What a push provider is given and answers; the providers are in `fcm.ts`, `sns.ts` and `push.ts` (log). */
import type { Config } from "../../config.js";

export const devicePlatforms = ["android", "ios", "web"] as const;
export type DevicePlatform = (typeof devicePlatforms)[number];

/** A registered device as a provider needs it. */
export interface PushDevice {
  token: string;
  platform: DevicePlatform;
  userId: string;
  /** SNS only: the platform endpoint already made for this token. */
  snsEndpointArn: string | null;
}

export interface PushMessage {
  title: string;
  body: string;
  /** Routing data for the app (`kind`, ids); FCM and APNs carry string values only. */
  data: Record<string, string>;
  /** Pushes with one key replace each other on the device (one conversation's messages). */
  collapseKey?: string;
}

/**
 * What became of one device: `sent`; `invalid` (the provider says the token is unregistered or malformed: the
 * device is removed); `failed` (worth retrying: the job is retried for these devices only); `skipped` (this
 * provider cannot reach such a device, e.g. a web token through SNS). SNS reports the endpoint it made.
 */
export interface PushOutcome {
  token: string;
  status: "sent" | "invalid" | "failed" | "skipped";
  error?: string;
  snsEndpointArn?: string;
}

export interface PushProvider {
  readonly name: "fcm" | "sns" | "log";
  send(devices: PushDevice[], message: PushMessage): Promise<PushOutcome[]>;
  close?(): Promise<void>;
}

export type PushSettings = Config["push"];
