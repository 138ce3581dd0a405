import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import {
  createPortfolioItemBody,
  portfolioItemParams,
  portfolioItemSchema,
  portfolioListSchema,
  reorderPortfolioBody,
  updatePortfolioItemBody,
} from "./portfolio.contract.js";
import type { PortfolioService } from "./portfolio.service.js";

export function portfolioRoutes(portfolio: PortfolioService) {
  return (api: ApiRouter) => {
    const fileFailures = [fileErrors.notFound, fileErrors.wrongPurpose, fileErrors.alreadyAttached];

    api.route({
      method: "post",
      path: "/contractors/me/portfolio",
      tags: ["Contractors"],
      summary: "Add a portfolio item at the end of the portfolio",
      description:
        "Upload the images first (`POST /files` with purpose `portfolio`), then send their ids here; each file can belong to one item only.",
      access: ["contractor"],
      body: createPortfolioItemBody,
      idempotent: true,
      response: { status: 201, description: "The new item", schema: portfolioItemSchema },
      errors: [contractorErrors.profileMissing, ...fileFailures],
      handler: ({ user, body }) => portfolio.add(user.id, body),
    });

    api.route({
      method: "get",
      path: "/contractors/me/portfolio",
      tags: ["Contractors"],
      summary: "The contractor's portfolio, in display order",
      access: ["contractor"],
      response: { status: 200, description: "The items", schema: portfolioListSchema },
      errors: [contractorErrors.profileMissing],
      handler: async ({ user }) => ({ items: await portfolio.own(user.id) }),
    });

    api.route({
      method: "put",
      path: "/contractors/me/portfolio/order",
      tags: ["Contractors"],
      summary: "Reorder the portfolio",
      description: "`itemIds` must list every item of the portfolio exactly once.",
      access: ["contractor"],
      body: reorderPortfolioBody,
      response: { status: 200, description: "The items in their new order", schema: portfolioListSchema },
      errors: [contractorErrors.profileMissing],
      handler: async ({ user, body }) => ({ items: await portfolio.reorder(user.id, body.itemIds) }),
    });

    api.route({
      method: "patch",
      path: "/contractors/me/portfolio/:id",
      tags: ["Contractors"],
      summary: "Change a portfolio item's title, description or images",
      description:
        "`fileIds` replaces the whole image list: new ids are attached, ids left out are released and deleted later.",
      access: ["contractor"],
      params: portfolioItemParams,
      body: updatePortfolioItemBody,
      response: { status: 200, description: "The updated item", schema: portfolioItemSchema },
      errors: [contractorErrors.profileMissing, contractorErrors.portfolioItemNotFound, ...fileFailures],
      handler: ({ user, params, body }) => portfolio.update(user.id, params.id, body),
    });

    api.route({
      method: "delete",
      path: "/contractors/me/portfolio/:id",
      tags: ["Contractors"],
      summary: "Delete a portfolio item; its images are released and deleted later",
      access: ["contractor"],
      params: portfolioItemParams,
      response: { status: 204, description: "Deleted; the items after it move up one place" },
      errors: [contractorErrors.profileMissing, contractorErrors.portfolioItemNotFound],
      handler: ({ user, params }) => portfolio.remove(user.id, params.id),
    });
  };
}
