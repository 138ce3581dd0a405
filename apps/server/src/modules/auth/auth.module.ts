import { scheduleHourly } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { authRoutes } from "./auth.routes.js";
import { type AuthDeps, type AuthService, createAuthService, passwordResetQueue } from "./auth.service.js";
import { browserAuthRoutes } from "./browser.routes.js";

export function createAuthModule(deps: AuthDeps): Module<AuthService> {
  const service = createAuthService(deps);
  return {
    name: "auth",
    service,
    routes(api) {
      authRoutes(service, deps.tokens, deps.options.codes)(api);
      browserAuthRoutes(service, deps.options)(api);
    },
    async jobs(queue) {
      // Forgot-password requests look the account up here, so the answer's timing says nothing about it.
      await queue.createQueue(passwordResetQueue);
      await queue.work<{ email: string }>(
        passwordResetQueue,
        { pollingIntervalSeconds: 0.5 },
        async ([job]) => {
          if (job) await service.sendPasswordResetCode(job.data.email);
        },
      );
      await scheduleHourly(queue, "auth.purge", service.purgeExpired);
    },
  };
}
