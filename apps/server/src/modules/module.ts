import type { Router } from "express";
import type { ApiRouter } from "../http/api.js";
import type { JobQueue } from "../jobs/queue.js";
import type { RealtimeServer } from "../realtime/socket.js";

/**
 * What every module's factory (`createXModule(deps)`) returns, so `server.ts` wires them all alike.
 * The service is what other modules receive; routes, jobs and socket handlers stay the module's own.
 */
export interface Module<Service> {
  readonly name: string;
  readonly service: Service;
  /** Declares the module's HTTP routes on the API router. */
  routes?(api: ApiRouter): void;
  /** Creates the module's queues, workers and schedules; awaited once at start, before the server listens. */
  jobs?(queue: JobQueue): Promise<void>;
  /** Routers served outside the API, by path (e.g. locally stored files under /storage). */
  mounts?: [path: string, router: Router][];
  /** Registers the module's Socket.IO event handlers. */
  sockets?(io: RealtimeServer): void;
}
