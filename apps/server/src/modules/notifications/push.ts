import type { Agent } from "node:https";
import type { Logger } from "../../logger.js";
import { createFcmProvider } from "./fcm.js";
import type { PushProvider, PushSettings } from "./push-provider.js";
import { createSnsProvider } from "./sns.js";

/**
 * The configured provider. `httpAgent` carries FCM's HTTP requests (token exchange and sends) when set:
 * firebase-admin has no endpoint setting, so this is how the FCM double on loopback is reached.
 */
export function createPushProvider(
  settings: PushSettings,
  logger: Logger,
  options: { httpAgent?: Agent } = {},
): PushProvider {
  const log = logger.child({ component: "push" });
  if (settings.provider === "fcm") {
    if (!settings.fcm.serviceAccount)
      throw new Error("FCM_SERVICE_ACCOUNT is required when PUSH_PROVIDER=fcm");
    return createFcmProvider({ serviceAccount: settings.fcm.serviceAccount, httpAgent: options.httpAgent });
  }
  if (settings.provider === "sns") return createSnsProvider(settings.sns);
  return createLogProvider(log);
}

/** The offline default: what would be sent is logged; the inbox holds the same text. */
function createLogProvider(log: Logger): PushProvider {
  return {
    name: "log",
    async send(devices, message) {
      log.info(
        { devices: devices.map((device) => ({ platform: device.platform, userId: device.userId })), message },
        `push (not sent, PUSH_PROVIDER=log): ${message.title}: ${message.body}`,
      );
      return devices.map((device) => ({ token: device.token, status: "sent" as const }));
    },
  };
}
