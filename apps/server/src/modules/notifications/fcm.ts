import type { Agent } from "node:https";
import { type App, deleteApp, initializeApp } from "firebase-admin/app";
import { getMessaging, type MulticastMessage } from "firebase-admin/messaging";
import { JWT } from "google-auth-library";
import { newId } from "../../db/columns.js";
import type { PushDevice, PushMessage, PushOutcome, PushProvider } from "./push-provider.js";

/** The fields of a Firebase service account key file that sending needs. */
export interface FcmServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
}

/** FCM's own limit on one multicast. */
const multicastLimit = 500;

/** Errors meaning the token will never work again: its device is removed. */
const invalidTokenCodes = new Set([
  "messaging/registration-token-not-registered",
  "messaging/invalid-registration-token",
]);

/**
 * FCM HTTP v1 through firebase-admin: one multicast per message (chunks of 500), with `android` and `apns`
 * sections so both platforms show it the same way and collapse it per conversation.
 */
export function createFcmProvider(options: {
  serviceAccount: FcmServiceAccount;
  httpAgent?: Agent | undefined;
}): PushProvider {
  const { serviceAccount, httpAgent } = options;
  // firebase-admin's `cert()` drops `httpAgent` when it fetches access tokens (its GoogleAuth client is built
  // without the app's transport options), so the token exchange is done here with the same agent.
  const jwt = new JWT({
    email: serviceAccount.clientEmail,
    key: serviceAccount.privateKey,
    scopes: ["https://www.googleapis.com/auth/firebase.messaging"],
    ...(httpAgent ? { transporterOptions: { agent: httpAgent } } : {}),
  });
  const app: App = initializeApp(
    {
      projectId: serviceAccount.projectId,
      ...(httpAgent ? { httpAgent } : {}),
      credential: {
        async getAccessToken() {
          const token = await jwt.authorize();
          if (!token.access_token) throw new Error("FCM: the token endpoint answered no access token");
          const expiresIn = Math.floor(((token.expiry_date ?? Date.now() + 3_600_000) - Date.now()) / 1000);
          return { access_token: token.access_token, expires_in: Math.max(expiresIn, 0) };
        },
      },
    },
    // Apps are registered by name in a global list: one per provider instance (tests start several servers).
    `jobsphere-${newId()}`,
  );
  const messaging = getMessaging(app);
  // HTTP/2 (the default) opens its own session and cannot go through an agent.
  if (httpAgent) messaging.enableLegacyHttpTransport();

  return {
    name: "fcm",
    async send(devices, message) {
      const outcomes: PushOutcome[] = [];
      for (let start = 0; start < devices.length; start += multicastLimit) {
        const chunk = devices.slice(start, start + multicastLimit);
        const result = await messaging.sendEachForMulticast(multicast(chunk, message));
        result.responses.forEach((response, index) => {
          const token = (chunk[index] as PushDevice).token;
          if (response.success) outcomes.push({ token, status: "sent" });
          else {
            const code = response.error?.code ?? "";
            outcomes.push({
              token,
              status: invalidTokenCodes.has(code) ? "invalid" : "failed",
              error: `${code}: ${response.error?.message ?? ""}`,
            });
          }
        });
      }
      return outcomes;
    },
    async close() {
      await deleteApp(app);
    },
  };
}

function multicast(devices: PushDevice[], message: PushMessage): MulticastMessage {
  const { collapseKey } = message;
  return {
    tokens: devices.map((device) => device.token),
    notification: { title: message.title, body: message.body },
    data: message.data,
    android: {
      priority: "high",
      ...(collapseKey ? { collapseKey } : {}),
      notification: { channelId: "jobsphere", ...(collapseKey ? { tag: collapseKey } : {}) },
    },
    apns: {
      headers: { "apns-priority": "10", ...(collapseKey ? { "apns-collapse-id": collapseKey } : {}) },
      payload: { aps: { sound: "default", ...(collapseKey ? { threadId: collapseKey } : {}) } },
    },
  };
}
