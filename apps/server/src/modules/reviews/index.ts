export { createReviewsModule } from "./reviews.module.js";
export type {
  ReviewEvent,
  ReviewListener,
  ReviewSettings,
  ReviewsDeps,
  ReviewsService,
} from "./reviews.service.js";
