import { workEach } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { reviewRoutes } from "./reviews.routes.js";
import {
  createReviewsService,
  type ReviewEvent,
  type ReviewsDeps,
  type ReviewsService,
  reviewEventsQueue,
} from "./reviews.service.js";

/**
 * Reviews: customers' reviews of contractors and their replies, contractors' ratings of customers, each
 * contractor's rating aggregate, moderation, and the worker that hands each committed review event to the
 * consumers registered with `onReview`.
 */
export function createReviewsModule(deps: ReviewsDeps): Module<ReviewsService> {
  const service = createReviewsService(deps);
  return {
    name: "reviews",
    service,
    routes: reviewRoutes(service),
    async jobs(queue) {
      await queue.createQueue(reviewEventsQueue);
      await workEach<ReviewEvent>(queue, reviewEventsQueue, (event) => service.deliver(event));
    },
  };
}
