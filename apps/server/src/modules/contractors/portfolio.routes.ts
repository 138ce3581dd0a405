import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import {
  createPortfolioItemBody,
  portfolioItemExample,
  portfolioItemParams,
  portfolioItemSchema,
  portfolioListSchema,
  reorderPortfolioBody,
  updatePortfolioItemBody,
} from "./portfolio.contract.js";
import type { PortfolioService } from "./portfolio.service.js";

const imageIds = portfolioItemExample.images.map((image) => image.id);
/** The item after `PATCH`: retitled, its images in the other order. */
const updatedItemExample = {
  ...portfolioItemExample,
  title: "Kitchen rewire, LED downlights and under-cabinet strips",
  images: [...portfolioItemExample.images].reverse(),
  updatedAt: "2026-02-10T08:12:40.377Z",
};
const secondItemExample = {
  ...portfolioItemExample,
  id: "0192e7b5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
  title: "Garden lighting",
  description: null,
  position: 1,
  images: [],
  createdAt: "2026-02-05T11:02:13.845Z",
  updatedAt: "2026-02-05T11:02:13.845Z",
};

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
      examples: {
        request: {
          title: portfolioItemExample.title,
          description: portfolioItemExample.description,
          fileIds: imageIds,
        },
        response: portfolioItemExample,
      },
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
      examples: { response: { items: [portfolioItemExample, secondItemExample] } },
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
      examples: {
        request: { itemIds: [secondItemExample.id, portfolioItemExample.id] },
        response: {
          items: [
            { ...secondItemExample, position: 0 },
            { ...portfolioItemExample, position: 1 },
          ],
        },
      },
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
      examples: {
        request: { title: updatedItemExample.title, fileIds: [...imageIds].reverse() },
        response: updatedItemExample,
      },
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
