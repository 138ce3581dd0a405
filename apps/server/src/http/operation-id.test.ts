import { describe, expect, it } from "vitest";
import { deriveOperationId } from "./operation-id.js";

describe("derived operationIds", () => {
  it("read as the method names a client developer would write", () => {
    const cases: [Parameters<typeof deriveOperationId>, string][] = [
      [["get", "/me"], "getMe"],
      [["patch", "/me"], "updateMe"],
      [["delete", "/me"], "deleteMe"],
      [["get", "/contractors", true], "listContractors"],
      [["get", "/contractors/:id"], "getContractor"],
      [["post", "/files"], "createFile"],
      [["get", "/categories", true], "listCategories"],
      [["get", "/admin/users", true], "adminListUsers"],
      [["patch", "/admin/users/:id"], "adminUpdateUser"],
      [["post", "/auth/login"], "login"],
      [["post", "/auth/logout-all"], "logoutAll"],
      [["post", "/auth/password/forgot"], "forgotPassword"],
      [["get", "/auth/jwks.json"], "getJwks"],
      [["put", "/contractors/me/profile"], "setMyContractorProfile"],
      [["patch", "/contractors/me/portfolio/:id"], "updateMyContractorPortfolioItem"],
      [["post", "/jobs/:id/quotes"], "createJobQuote"],
      [["post", "/jobs/:id/quotes/:quoteId/accept"], "acceptJobQuote"],
      [["post", "/bookings/:id/payment"], "createBookingPayment"],
      [["post", "/admin/disputes/:id/resolve"], "adminResolveDispute"],
      [["get", "/categories/:slug/children", true], "listCategoryChildren"],
      [["get", "/payments/connect/status"], "getPaymentsConnectStatus"],
    ];
    for (const [args, expected] of cases) expect(deriveOperationId(...args), args.join(" ")).toBe(expected);
  });
});
