import { generateKeyPairSync, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** One FCM HTTP v1 send as the double received it. */
export interface FcmRequest {
  host: string | undefined;
  path: string;
  authorization: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the FCM v1 message is checked field by field by the tests
  message: any;
}

/** What the double answers to one send: 200, or an FCM error (status and `errorCode`, e.g. UNREGISTERED). */
export type FcmAnswer = { status: 200 } | { status: number; errorCode?: string };

/**
 * The FCM HTTP v1 API and Google's OAuth token endpoint on loopback. firebase-admin has no endpoint setting, so
 * its requests reach this double through `agent`, whose connections all go to it whatever host they name
 * (plain HTTP on the socket; the request still names https://fcm.googleapis.com).
 */
export async function startFcmDouble() {
  const sends: FcmRequest[] = [];
  const tokenRequests: string[] = [];
  let answer: (message: FcmRequest) => FcmAnswer = () => ({ status: 200 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/token") {
        tokenRequests.push(body);
        res.end(
          JSON.stringify({ access_token: "ya29.double-token", expires_in: 3600, token_type: "Bearer" }),
        );
        return;
      }
      const request: FcmRequest = {
        host: req.headers.host,
        path: req.url ?? "",
        authorization: req.headers.authorization,
        message: (JSON.parse(body) as { message: unknown }).message,
      };
      sends.push(request);
      const outcome = answer(request);
      res.statusCode = outcome.status;
      if (outcome.status === 200) {
        res.end(JSON.stringify({ name: `projects/jobsphere-test/messages/${randomUUID()}` }));
        return;
      }
      const errorCode = "errorCode" in outcome ? outcome.errorCode : undefined;
      res.end(
        JSON.stringify({
          error: {
            code: outcome.status,
            message: errorCode ?? "Internal error",
            status: outcome.status === 404 ? "NOT_FOUND" : "INTERNAL",
            details: errorCode
              ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }]
              : [],
          },
        }),
      );
    });
  });
  const port = await listen(server);
  class LoopbackAgent extends Agent {
    override createConnection() {
      return connect(port, "127.0.0.1");
    }
  }
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const serviceAccount = {
    type: "service_account",
    project_id: "jobsphere-test",
    client_email: "push@jobsphere-test.iam.gserviceaccount.com",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  return {
    agent: new LoopbackAgent({ keepAlive: false }),
    serviceAccount,
    sends,
    tokenRequests,
    answerWith(next: (message: FcmRequest) => FcmAnswer) {
      answer = next;
    },
    async stop() {
      server.close();
      server.closeAllConnections();
      await once(server, "close");
    },
  };
}

/** One SNS API call as the double received it (the query protocol's form fields). */
export interface SnsRequest {
  action: string;
  params: Record<string, string>;
}

/**
 * AWS SNS's query API on loopback, reached by the real SDK through its `endpoint`: platform endpoints and
 * Publish. Tokens listed in `disabled` answer Publish with EndpointDisabled, as SNS does for a token that
 * APNs or FCM rejected.
 */
export async function startSnsDouble() {
  const requests: SnsRequest[] = [];
  const endpoints = new Map<
    string,
    { token: string; application: string; userData: string; enabled: boolean }
  >();
  const disabled = new Set<string>();
  let failNext = 0;
  const xml = (action: string, result: string) =>
    `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.statusCode = status;
    res.end(
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  };
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const action = params.Action ?? "";
      requests.push({ action, params });
      res.setHeader("content-type", "text/xml");
      if (failNext > 0) {
        failNext -= 1;
        error(res, 500, "InternalError", "Internal failure");
        return;
      }
      if (action === "CreatePlatformEndpoint") {
        const existing = [...endpoints].find(
          ([, endpoint]) =>
            endpoint.token === params.Token && endpoint.application === params.PlatformApplicationArn,
        );
        // As SNS does: the same token with other attributes is refused, naming the endpoint it has.
        if (existing && existing[1].userData !== (params.CustomUserData ?? "")) {
          return error(
            res,
            400,
            "InvalidParameter",
            `Invalid parameter: Token Reason: Endpoint ${existing[0]} already exists with the same Token, but different attributes.`,
          );
        }
        const arn =
          existing?.[0] ??
          `${(params.PlatformApplicationArn ?? "").replace(":app/", ":endpoint/")}/${randomUUID()}`;
        endpoints.set(arn, {
          token: params.Token ?? "",
          application: params.PlatformApplicationArn ?? "",
          userData: params.CustomUserData ?? "",
          enabled: true,
        });
        res.end(xml(action, `<EndpointArn>${arn}</EndpointArn>`));
        return;
      }
      if (action === "Publish") {
        const endpoint = endpoints.get(params.TargetArn ?? "");
        if (!endpoint) return error(res, 404, "NotFound", "Endpoint does not exist");
        if (disabled.has(endpoint.token) || !endpoint.enabled)
          return error(res, 400, "EndpointDisabled", "Endpoint is disabled");
        res.end(xml(action, `<MessageId>${randomUUID()}</MessageId>`));
        return;
      }
      if (action === "DeleteEndpoint") {
        endpoints.delete(params.EndpointArn ?? "");
        res.end(xml(action, ""));
        return;
      }
      if (action === "SetEndpointAttributes") {
        const endpoint = endpoints.get(params.EndpointArn ?? "");
        if (!endpoint) return error(res, 404, "NotFound", "Endpoint does not exist");
        const attribute = (name: string) =>
          Object.entries(params).find(
            ([key, value]) => /^Attributes\.entry\.\d+\.key$/.test(key) && value === name,
          )?.[0];
        for (const name of ["Token", "CustomUserData", "Enabled"]) {
          const key = attribute(name);
          const value = key ? params[key.replace(/key$/, "value")] : undefined;
          if (value === undefined) continue;
          if (name === "Token") endpoint.token = value;
          if (name === "CustomUserData") endpoint.userData = value;
          if (name === "Enabled") endpoint.enabled = value === "true";
        }
        res.end(xml(action, ""));
        return;
      }
      error(res, 400, "InvalidAction", `unknown action ${action}`);
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    endpoints,
    disabled,
    /** The next `count` calls answer 500. */
    failNextCalls(count: number) {
      failNext = count;
    },
    async stop() {
      server.close();
      server.closeAllConnections();
      await once(server, "close");
    },
  };
}
