import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import {
  createStripeModel,
  type ModelRequest,
  memoryStore,
  type StripeEvent,
  type StripeModel,
} from "../src/modules/payments/index.js";

/** One API request as the double received it. */
export interface RecordedRequest {
  method: "GET" | "POST";
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: decoded form parameters, asserted field by field in tests
  params: Record<string, any>;
  idempotencyKey: string | undefined;
  stripeAccount: string | undefined;
  status: number;
}

/** `a[b][c]=v` form encoding (what the SDK sends) back into nested objects. */
function decodeForm(body: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, "").split("[");
    let target = result;
    for (const [index, part] of path.entries()) {
      if (index === path.length - 1) target[part] = value;
      else {
        target[part] ??= {};
        target = target[part] as Record<string, unknown>;
      }
    }
  }
  return result;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export interface StripeDouble {
  /** `STRIPE_API_BASE` for the server under test. */
  url: string;
  secretKey: string;
  webhookSecret: string;
  model: StripeModel;
  requests: RecordedRequest[];
  /** Where events are delivered, signed, once the server under test listens. */
  deliverTo(url: string): void;
  close(): Promise<void>;
}

/**
 * A Stripe-shaped HTTP server for the real `stripe` SDK: it checks the secret key, decodes each request as
 * Stripe does, records it (amounts, currency, transfer_group, source_transaction, idempotency keys, the
 * Stripe-Account header) and answers from the same model of Stripe the simulated gateway runs. Events are
 * POSTed to the server's webhook endpoint, signed with `generateTestHeaderString`, as Stripe would.
 */
export async function startStripeDouble(): Promise<StripeDouble> {
  const secretKey = "sk_test_double_0123456789";
  const webhookSecret = "whsec_double_0123456789abcdef";
  let webhookUrl: string | undefined;
  const deliveries: Promise<unknown>[] = [];
  const deliver = async (event: StripeEvent) => {
    if (!webhookUrl) return;
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const url = webhookUrl;
    // Stripe delivers after answering the call that caused the event, never inside it.
    const sent = new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": header },
        body: payload,
      }).catch(() => undefined),
    );
    deliveries.push(sent);
  };
  const model = createStripeModel(memoryStore(), deliver);
  const requests: RecordedRequest[] = [];

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": `req_${Date.now()}` });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
      return;
    }
    const url = new URL(req.url ?? "/", "http://double");
    const method = req.method === "POST" ? "POST" : "GET";
    const body = await readBody(req);
    const params = method === "POST" ? decodeForm(body) : decodeForm(url.searchParams.toString());
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const request: ModelRequest = {
      method,
      path: url.pathname,
      params,
      idempotencyKey: header("idempotency-key"),
      account: header("stripe-account"),
    };
    const answer = await model.call(request);
    requests.push({
      method,
      path: url.pathname,
      params,
      idempotencyKey: request.idempotencyKey,
      stripeAccount: request.account,
      status: answer.status,
    });
    send(answer.status, answer.body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    model,
    requests,
    deliverTo(url) {
      webhookUrl = url;
    },
    async close() {
      await Promise.allSettled(deliveries);
      server.closeAllConnections();
      server.close();
    },
  };
}
