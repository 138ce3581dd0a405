import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
  SNSServiceException,
} from "@aws-sdk/client-sns";
import type { PushDevice, PushMessage, PushOutcome, PushProvider, PushSettings } from "./push-provider.js";

/** SNS answers this when a token already has an endpoint whose attributes differ; it names that endpoint. */
const existingEndpoint = /Endpoint (arn:[^\s]+) already exists/;

/**
 * AWS SNS mobile push: each device token gets a platform endpoint under its platform's application (GCM for
 * Android, APNs for iOS), made on its first push and kept on the device row; each push is a Publish to that
 * endpoint with one JSON message per platform. An endpoint SNS disabled (the token was rejected) is deleted
 * and its device removed.
 */
export function createSnsProvider(settings: PushSettings["sns"]): PushProvider {
  const client = new SNSClient({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.accessKeyId && settings.secretAccessKey
      ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
      : {}),
  });

  async function endpointFor(device: PushDevice, applicationArn: string): Promise<string> {
    try {
      const made = await client.send(
        new CreatePlatformEndpointCommand({
          PlatformApplicationArn: applicationArn,
          Token: device.token,
          CustomUserData: device.userId,
        }),
      );
      if (!made.EndpointArn) throw new Error("SNS made no endpoint");
      return made.EndpointArn;
    } catch (error) {
      // The token moved to another user, or SNS disabled its endpoint earlier: update that endpoint.
      const arn =
        error instanceof SNSServiceException ? existingEndpoint.exec(error.message)?.[1] : undefined;
      if (!arn) throw error;
      await client.send(
        new SetEndpointAttributesCommand({
          EndpointArn: arn,
          Attributes: { Token: device.token, CustomUserData: device.userId, Enabled: "true" },
        }),
      );
      return arn;
    }
  }

  async function sendOne(device: PushDevice, message: PushMessage): Promise<PushOutcome> {
    const applicationArn = device.platform === "web" ? undefined : settings.applicationArns[device.platform];
    if (!applicationArn)
      return { token: device.token, status: "skipped", error: `no SNS application for ${device.platform}` };
    let endpointArn = device.snsEndpointArn ?? (await endpointFor(device, applicationArn));
    const publish = () =>
      client.send(
        new PublishCommand({
          TargetArn: endpointArn,
          MessageStructure: "json",
          Message: JSON.stringify(platformMessages(message)),
          MessageAttributes: {
            "AWS.SNS.MOBILE.APNS.PUSH_TYPE": { DataType: "String", StringValue: "alert" },
            ...(message.collapseKey
              ? {
                  "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": { DataType: "String", StringValue: message.collapseKey },
                }
              : {}),
          },
        }),
      );
    try {
      await publish();
    } catch (error) {
      const name = error instanceof SNSServiceException ? error.name : "";
      if (name === "EndpointDisabledException" || name === "EndpointDisabled") {
        await client.send(new DeleteEndpointCommand({ EndpointArn: endpointArn })).catch(() => {});
        return { token: device.token, status: "invalid", error: name, snsEndpointArn: endpointArn };
      }
      // The stored endpoint was deleted outside the app: make another and send once more.
      if ((name === "NotFoundException" || name === "NotFound") && device.snsEndpointArn) {
        endpointArn = await endpointFor(device, applicationArn);
        await publish();
        return { token: device.token, status: "sent", snsEndpointArn: endpointArn };
      }
      throw error;
    }
    return { token: device.token, status: "sent", snsEndpointArn: endpointArn };
  }

  return {
    name: "sns",
    async send(devices, message) {
      const outcomes: PushOutcome[] = [];
      for (const device of devices) {
        try {
          outcomes.push(await sendOne(device, message));
        } catch (error) {
          outcomes.push({
            token: device.token,
            status: "failed",
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
        }
      }
      return outcomes;
    },
    async close() {
      client.destroy();
    },
  };
}

/** SNS's `MessageStructure: "json"`: a default text and one payload per platform, each a JSON string. */
export function platformMessages(message: PushMessage): Record<string, string> {
  const { collapseKey } = message;
  const apns = JSON.stringify({
    aps: {
      alert: { title: message.title, body: message.body },
      sound: "default",
      ...(collapseKey ? { "thread-id": collapseKey } : {}),
    },
    ...message.data,
  });
  return {
    default: `${message.title}: ${message.body}`,
    GCM: JSON.stringify({
      fcmV1Message: {
        message: {
          notification: { title: message.title, body: message.body },
          data: message.data,
          android: {
            priority: "high",
            ...(collapseKey ? { collapse_key: collapseKey } : {}),
            notification: { channel_id: "jobsphere", ...(collapseKey ? { tag: collapseKey } : {}) },
          },
        },
      },
    }),
    APNS: apns,
    APNS_SANDBOX: apns,
  };
}
