export { seedDemoReviews } from "./reviews.demo.js";
export { createReviewsModule } from "./reviews.module.js";
export type {
  ReviewEvent,
  ReviewListener,
  ReviewSettings,
  ReviewsDeps,
  ReviewsService,
} from "./reviews.service.js";
