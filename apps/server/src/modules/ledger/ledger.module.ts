import type { Module } from "../module.js";
import { ledgerRoutes } from "./ledger.routes.js";
import { createLedgerService, type LedgerDeps, type LedgerService } from "./ledger.service.js";

export type LedgerModuleDeps = LedgerDeps;

export function createLedgerModule(deps: LedgerModuleDeps): Module<LedgerService> {
  const service = createLedgerService(deps);
  return { name: "ledger", service, routes: ledgerRoutes(service) };
}
