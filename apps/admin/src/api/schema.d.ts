// Generated from the server's OpenAPI document by apps/server/test/admin-client.test.ts: do not edit.
export interface paths {
    "/api/v1/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload a file
         * @description multipart/form-data with `purpose` and `file` (either order). The type is decided from the bytes. Limits on this server: avatar 5 MB and portfolio 10 MB (JPEG, PNG, WebP, AVIF); job_attachment 20 MB and verification_document 20 MB (those images or PDF); chat_attachment 25 MB (images, PDF, office documents, audio). Images are re-encoded without their metadata (GPS included), their longest side capped, and get a thumbnail. A file not attached to anything within 24 hours is deleted. Images over the configured pixel count (40 megapixels by default) are refused with 422 `file.too_many_pixels`; each user may start a limited number of uploads per hour (100 by default), beyond which 429 with `Retry-After`. A refused upload is answered at once and the connection closed.
         *
         *     Any signed-in user.
         */
        post: operations["createFile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A file's metadata with a fresh URL
         * @description Answered to the owner, admins, anyone for public files, and the people the file's context allows.
         *
         *     Any signed-in user.
         */
        get: operations["getFile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in user
         * @description Any signed-in user.
         */
        get: operations["getMe"];
        put?: never;
        post?: never;
        /**
         * Delete the signed-in user's account
         * @description Needs the current password. The account's personal data is anonymised (the name becomes "Deleted user"; email, phone, avatar and password are cleared), a contractor's profile, portfolio and availability and a customer's profile are removed, the user's files are deleted, and every session and socket ends; the email can register again at once. Records others rely on (money, reviews, conversations) keep pointing at the anonymised account. Refused with 409 `user.deletion_blocked` while money is held or available or a booking is open (the detail says which), and with 409 `user.last_admin` for the last admin. Wrong passwords are limited per account like password change (429).
         *
         *     Any signed-in user.
         */
        delete: operations["deleteMe"];
        options?: never;
        head?: never;
        /**
         * Change the signed-in user's name, phone or avatar
         * @description Any signed-in user.
         */
        patch: operations["updateMe"];
        trace?: never;
    };
    "/api/v1/auth/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Public keys that verify access tokens
         * @description For other services that want to check JobSphere access tokens themselves (EdDSA, `kid` in the header).
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        get: operations["getJwks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a customer or contractor account
         * @description Signs the new user in and emails a 6-digit code to confirm the address (`POST /auth/email/verify`). Admin accounts cannot be registered. Registrations per client address are limited (429).
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in with email and password
         * @description Failures are counted per account and client address, per address across accounts, and per account from addresses it never signed in from; past a limit, attempts are refused for a while (429), the right password included. A successful login forgives its address's failures.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new token pair
         * @description Refresh tokens are single use. Presenting one that was already exchanged ends the whole session (`auth.refresh_reused`): sign in again.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the session the refresh token belongs to
         * @description Needs only the refresh token: no access token (an expired one may be sent and is ignored). Always answers 204, also when the session had already ended, the token was spent, or it is unknown, so an app can sign out offline-first and retry freely. Ends exactly that session and its sockets; other devices stay signed in.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End every session of the signed-in user, on every device
         * @description Any signed-in user.
         */
        post: operations["logoutAll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password/forgot": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Email a password reset code
         * @description Always answers 202, whether or not an account has this email. If one does, a 6-digit code valid for 10 minutes is emailed; a newer code replaces an older one. Code emails are limited per email address and per client address (429).
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["forgotPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Choose a new password with the emailed code
         * @description A code is valid for 10 minutes and allows 5 wrong attempts: a wrong one answers `auth.invalid_code` with `attemptsRemaining`; after the last, any code gets `auth.code_attempts_exceeded`, and the right code too late gets `auth.code_expired` (ask for a new one with `POST /auth/password/forgot`). An email without an account, or without a pending code, answers exactly like a wrong code. On success every session of the account ends. Code checks per client address are limited (429).
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["resetPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password/change": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change the password
         * @description Every session ends, this one included: sign in again with the new password. Wrong current passwords are limited per account like failed logins (429).
         *
         *     Any signed-in user.
         */
        post: operations["changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/email/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Confirm the email address with the emailed code
         * @description Codes work as in `POST /auth/password/reset`: `auth.invalid_code` with `attemptsRemaining`, then `auth.code_attempts_exceeded` after 5 wrong attempts; `auth.code_expired` for the right code after 10 minutes (`POST /auth/email/resend` sends a new one).
         *
         *     Any signed-in user.
         */
        post: operations["verifyEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/email/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Email a new verification code
         * @description Any signed-in user.
         */
        post: operations["resendEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/browser/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in from a web page: the refresh token is set as an httpOnly cookie
         * @description Like `POST /auth/login` (same limits and errors), but the refresh token is not in the answer: it is set as the `jobsphere_refresh` cookie (httpOnly, SameSite=Strict, Secure over HTTPS, path `/api/v1/auth/browser`), so page scripts never see it. Keep the access token in memory and get a new one with `POST /auth/browser/refresh`.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["loginBrowser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/browser/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A new access token for a web page, from its sign-in cookie
         * @description No body: the `jobsphere_refresh` cookie is spent and replaced (rotation, as `POST /auth/refresh`); read the user with `GET /me`. Only pages of this server's own origin may call it: another `Origin`, or none, is 403 `auth.origin_refused`. Without the cookie: 401 `auth.invalid_refresh_token` (sign in).
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["refreshBrowser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/browser/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a web page out: its session ends and the cookie is removed
         * @description Always 204 for this server's own pages, signed in or not. Another `Origin`, or none, is 403 `auth.origin_refused`.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["logoutBrowser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your notifications, newest first
         * @description The in-app inbox. `unread=true` keeps only unread ones. Each one's `data` is what the push carried: route on `data.kind` and the ids beside it.
         *
         *     Any signed-in user.
         */
        get: operations["listNotifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/unread-count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How many of your notifications are unread
         * @description For the app's badge; `notification:new` tells when it grows.
         *
         *     Any signed-in user.
         */
        get: operations["getNotificationsUnreadCount"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark notifications read: some by id, or all
         * @description Send `{ ids }` (up to 100) or `{ all: true }`. Ids that are not yours, or already read, are ignored. Answers what stays unread.
         *
         *     Any signed-in user.
         */
        post: operations["readNotifications"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Which kinds you receive as push and as email
         * @description Every kind, in a fixed order. The inbox always keeps every notification; `push` and `email` choose the other channels. `email` is null for kinds that are never emailed.
         *
         *     Any signed-in user.
         */
        get: operations["getNotificationsPreferences"];
        /**
         * Change which kinds you receive as push and as email
         * @description Send the kinds to change (what `GET` answered, edited, is accepted as it is); kinds left out keep their settings. `email` must be null for kinds never emailed and a boolean for the others.
         *
         *     Any signed-in user.
         */
        put: operations["setNotificationsPreferences"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register this device for push notifications
         * @description Send the FCM registration token (Android, web, and iOS through FCM) or the APNs device token, after sign-in and whenever the platform hands out a new one. A token registered by another account moves to yours (a shared or resold phone); registering it again is harmless.
         *
         *     Any signed-in user.
         */
        post: operations["createDevice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Stop pushing to this device
         * @description Call it at sign-out, with the token URL-encoded. A token not registered to you answers 404.
         *
         *     Any signed-in user.
         */
        delete: operations["deleteDevice"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Service categories
         * @description Anyone may call this; an `Authorization` header is ignored.
         */
        get: operations["listCategories"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/me/profile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contractor's own profile
         * @description Signed-in contractor accounts.
         */
        get: operations["getMyContractorProfile"];
        /**
         * Create or replace the contractor's profile
         * @description The profile appears in search once it exists (and the account is active). `verified` is set only by an admin's decision on a verification request.
         *
         *     Signed-in contractor accounts.
         */
        put: operations["setMyContractorProfile"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/me/availability": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contractor's availability
         * @description Signed-in contractor accounts.
         */
        get: operations["getMyContractorAvailability"];
        /**
         * Replace the contractor's weekly hours and dated exceptions
         * @description Times are wall-clock times in `timezone` (an IANA name such as Europe/London), so they stay right across daylight-saving changes. Several ranges per day are allowed but may not overlap; an exception replaces the weekly hours of its date (`available: false` is a day off).
         *
         *     Signed-in contractor accounts.
         */
        put: operations["setMyContractorAvailability"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/customers/me/profile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The customer's default address and location
         * @description Signed-in customer accounts.
         */
        get: operations["getMyCustomerProfile"];
        /**
         * Set the customer's default address and location (used to prefill searches and jobs)
         * @description Signed-in customer accounts.
         */
        put: operations["setMyCustomerProfile"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/me/portfolio": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contractor's portfolio, in display order
         * @description Signed-in contractor accounts.
         */
        get: operations["listMyContractorPortfolio"];
        put?: never;
        /**
         * Add a portfolio item at the end of the portfolio
         * @description Upload the images first (`POST /files` with purpose `portfolio`), then send their ids here; each file can belong to one item only.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createMyContractorPortfolio"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/me/portfolio/order": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Reorder the portfolio
         * @description `itemIds` must list every item of the portfolio exactly once.
         *
         *     Signed-in contractor accounts.
         */
        put: operations["setMyContractorPortfolioOrder"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/me/portfolio/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a portfolio item; its images are released and deleted later
         * @description Signed-in contractor accounts.
         */
        delete: operations["deleteMyContractorPortfolioItem"];
        options?: never;
        head?: never;
        /**
         * Change a portfolio item's title, description or images
         * @description `fileIds` replaces the whole image list: new ids are attached, ids left out are released and deleted later.
         *
         *     Signed-in contractor accounts.
         */
        patch: operations["updateMyContractorPortfolioItem"];
        trace?: never;
    };
    "/api/v1/contractors/me/verification": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contractor's verification status and requests
         * @description Signed-in contractor accounts.
         */
        get: operations["getMyContractorVerification"];
        put?: never;
        /**
         * Ask to be verified, with identity and licence documents
         * @description Upload the documents first (`POST /files` with purpose `verification_document`); only you and admins can read them. The request stays `pending` until an admin decides; after a rejection a new request may be sent.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createMyContractorVerification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search contractors by category, place, words, rating, price, verification and availability
         * @description Lists active contractors with a profile. With `lat`/`lng`, only contractors whose service area covers that point are listed, each with its great-circle `distanceKm`; `radiusKm` further limits them to those based within that distance. Coverage, `radiusKm`, `distanceKm` and the distance order are all measured from the service area's public centre (rounded to 0.01°, about 1 km, as on the public profile), never from the contractor's exact base. `maxHourlyRate` is compared within `currency` when it is given. `availableAt` keeps contractors whose hours in their own time zone include that instant (a dated exception replaces the weekly hours of its date). Every order ends with the id, so paging with `cursor` lists each match exactly once; a cursor only continues the sort it was issued for.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        get: operations["listContractors"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A contractor's public profile, with portfolio, rating and availability summary
         * @description `contact` (email, phone) is shown only to people who have a booking with the contractor.
         *
         *     Anyone may call this. Signed-in callers may send their access token, which can change the answer; an invalid or expired token is treated as no token (never a 401).
         */
        get: operations["getContractor"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your bookings, newest first
         * @description Bookings where you are the customer or the contractor. `status` filters by status (repeat it or separate by commas), `role` keeps only the bookings where you are that party.
         *
         *     Any signed-in user.
         */
        get: operations["listBookings"];
        put?: never;
        /**
         * Ask a contractor for a booking
         * @description The contractor must be active, have a profile, offer the category, and be available for the whole time asked (in their time zone; a refusal names it and the nearest available ranges). The booking starts `requested` and expires unless the contractor accepts or declines in time (`BOOKING_REQUEST_EXPIRY`). Send an `Idempotency-Key` so a retry cannot book twice.
         *
         *     Signed-in customer accounts.
         */
        post: operations["createBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One booking, with its history oldest first
         * @description Only its customer, its contractor and admins may read it; anyone else gets 404. The contractor and admins also get `customerRating`, how contractors rated the customer.
         *
         *     Any signed-in user.
         */
        get: operations["getBooking"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Accept a requested booking (contractor)
         * @description `requested` → `accepted`; the customer then pays, which makes it `funded`. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["acceptBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/decline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decline a requested booking (contractor)
         * @description `requested` → `declined`. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["declineBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start the work (contractor)
         * @description `funded` → `in_progress`. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["startBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark the work done (contractor)
         * @description `in_progress` → `completed`. The payment is released to the contractor when the customer confirms, or automatically after `BOOKING_AUTO_RELEASE` unless the customer disputes first. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["completeBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Confirm the work and release the payment (customer)
         * @description `completed` → `released`: the money goes to the contractor. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["confirmBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel the booking (either party)
         * @description `requested`, `accepted` or `funded` → `cancelled`. Free before payment. After payment the customer is refunded in full when the contractor cancels or when the customer cancels more than `BOOKING_FREE_CANCEL_NOTICE` before the start, otherwise `BOOKING_LATE_CANCEL_REFUND_BPS` of the price; the amount shows as `refundAmount`. Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 `booking.invalid_transition` naming its state.
         *
         *     Any signed-in user.
         */
        post: operations["cancelBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/dispute": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Dispute the booking (customer)
         * @description `funded`, `in_progress` or `completed` → `disputed`: the payment is held until an admin resolves it (and the auto-release timer does nothing). Someone who is neither party gets 404; the contractor gets 403.
         *
         *     Any signed-in user.
         */
        post: operations["disputeBooking"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/dispute/response": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * State your side of a dispute (contractor)
         * @description While the booking is `disputed` (by its customer or by a chargeback), its contractor states their side once, for the admin who resolves it; the booking stays `disputed` and keeps the statement as `disputeResponse` after the resolution. Someone who is neither party gets 404; the customer and admins get 403; a booking not disputed answers 409 `booking.invalid_transition` naming its state; a second statement 409 `booking.dispute_response_exists`.
         *
         *     Any signed-in user.
         */
        post: operations["createBookingDisputeResponse"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What admins changed, newest first, filtered by admin, action, record and time
         * @description Every admin write is recorded in the same transaction as the write itself, with the changed fields before and after and the reason given. Entries are never edited or removed.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListAuditLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Users, newest first, filtered by role, status or a part of the name or email
         * @description Deleted accounts (`status=deleted`) keep their row so records others rely on still point somewhere; they show as "Deleted user" with no phone, avatar or real email address.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListUsers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One user (a deleted account shows anonymised)
         * @description Signed-in admin accounts.
         */
        get: operations["adminGetUser"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Edit a user; `status: suspended` signs them out everywhere and blocks sign-in
         * @description A deleted account cannot be edited or reactivated: 409 `user.deleted`.
         *
         *     Signed-in admin accounts.
         */
        patch: operations["adminUpdateUser"];
        trace?: never;
    };
    "/api/v1/admin/verifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Verification requests: the pending queue oldest first, other lists newest first
         * @description With `status=pending` the oldest request comes first, so the queue is worked in arrival order. With `approved`, `rejected` or no status, the newest comes first.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListVerifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/verifications/{id}/decision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve or reject a pending verification request
         * @description Approving marks the contractor verified; rejecting needs a `reason`, shown to the contractor, who may then send a new request. The decision is recorded in the audit log (`verification.approve` or `verification.reject`, target `verification_request`) with its reason.
         *
         *     Signed-in admin accounts.
         */
        post: operations["adminCreateVerificationDecision"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The overview's figures over a period, with a daily series for charts
         * @description Counts that describe now (users by role and status, open jobs, money held, pending verifications, open disputes) ignore the period; the others count what happened in it. Days are UTC days. A period covers at most 366 days (ADMIN_METRICS_MAX_DAYS).
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminGetMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/bookings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every booking, newest first, filtered by status, category, party or creation date
         * @description Signed-in admin accounts.
         */
        get: operations["adminListBookings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/bookings/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One booking with its whole history
         * @description Signed-in admin accounts.
         */
        get: operations["adminGetBooking"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every job request, newest first, filtered by status, category, customer, contractor, title or date
         * @description `status=expired` includes open jobs past their expiry that the timer has not marked yet.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListJobs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One job with every quote it received
         * @description The booking its accepted quote made is `job.bookingId` (`GET /admin/bookings/:id`).
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminGetJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Customers: their jobs. Contractors: open jobs in their categories and service area
         * @description Newest first. Contractors see each job's place rounded to 0.01° with no address, and `distanceKm` from their service area's public centre.
         *
         *     Signed-in customer or contractor accounts.
         */
        get: operations["listJobs"];
        put?: never;
        /**
         * Post a job request
         * @description Upload attachments first (`POST /files` with purpose `job_attachment`), then send their ids. The job is open for quotes until `expiresAt` (setting `JOB_EXPIRY`).
         *
         *     Signed-in customer accounts.
         */
        post: operations["createJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A job
         * @description The owner and admins see everything, with `quoteCount`; contractors whose categories and area match, the assigned contractor and contractors who quoted may read it too. Anyone else gets 404.
         *
         *     Any signed-in user.
         */
        get: operations["getJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change an open job
         * @description Only the owner, only while the job is open. `attachmentFileIds` replaces the whole list; files left out are released and deleted later. `null` clears `budget` or `preferredStart`.
         *
         *     Signed-in customer accounts.
         */
        patch: operations["updateJob"];
        trace?: never;
    };
    "/api/v1/jobs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel an open job
         * @description Only the owner, only while the job is open. Its pending quotes become `rejected` with `closedReason: job_cancelled`.
         *
         *     Signed-in customer accounts.
         */
        post: operations["cancelJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/quotes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The quotes of a job
         * @description The owner and admins see every quote; a contractor sees only their own. Oldest first.
         *
         *     Any signed-in user.
         */
        get: operations["listJobQuotes"];
        put?: never;
        /**
         * Quote for an open job
         * @description Contractors with a profile whose categories and area match the job. One quote per contractor and job (a second is 409 `quote.already_exists`, also after a withdrawal): edit it instead. `proposedStart` is required when the job has no `preferredStart`.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createJobQuote"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/quotes/{quoteId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a pending quote
         * @description Only its contractor, while the quote is pending and the job open.
         *
         *     Signed-in contractor accounts.
         */
        patch: operations["updateJobQuote"];
        trace?: never;
    };
    "/api/v1/jobs/{id}/quotes/{quoteId}/withdraw": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Withdraw a pending quote
         * @description Only its contractor, while the quote is pending and the job open. A withdrawn quote stays listed and cannot be sent again.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createJobQuoteWithdraw"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/quotes/{quoteId}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Accept a quote: the job is assigned and its contractor booked
         * @description Only the job's owner, while the job is open and the quote pending. In one step the quote becomes `accepted`, the other pending quotes `rejected` (`closedReason: other_quote_accepted`), a booking is created in `accepted` at the quoted price starting at the quote's `proposedStart` (else the job's `preferredStart`), and the job becomes `assigned` with its `bookingId`. Of concurrent accepts exactly one succeeds; the others answer 409 `job.invalid_state`. Send an `Idempotency-Key` so a retry returns the same booking.
         *
         *     Signed-in customer accounts.
         */
        post: operations["acceptJobQuote"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/transactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Ledger transactions, newest first, each with its entries
         * @description Every money movement is one transaction whose entries sum to zero (positive debits, negative credits). Filter by booking, by an account the transaction touches, by kind, or by when it was recorded (`from` inclusive, `to` exclusive).
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListTransactions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/ledger/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Balance of every ledger account, by account name
         * @description Signed like entries: asset accounts (`platform_cash`, `contractor_transferred:<id>`) are normally positive; what is owed, earned or in flight (`customer_funds_held`, `platform_commission`, `contractor_payable:<id>`, `refunds`, `payouts`) normally negative. All balances of a currency sum to zero.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListLedgerBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your conversations, most recent activity first
         * @description Each with its last message, your unread count and the bookings between the pair. Admins see every conversation (or one user's, with `participantId`), with no unread counts.
         *
         *     Any signed-in user.
         */
        get: operations["listConversations"];
        put?: never;
        /**
         * Open the conversation with a customer or a contractor
         * @description One conversation per customer–contractor pair: this returns the existing one when there is one. A conversation is also opened by itself when a contractor quotes for a customer's job or a booking is made between them.
         *
         *     Signed-in customer or contractor accounts.
         */
        post: operations["createConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A conversation
         * @description Its participants and admins may read it; anyone else gets 404.
         *
         *     Any signed-in user.
         */
        get: operations["getConversation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A conversation's messages
         * @description Newest first, in pages that stay stable while messages arrive (follow `nextCursor`). After a reconnection, `after=<id of the newest message you have>` returns what you missed, oldest first.
         *
         *     Any signed-in user.
         */
        get: operations["listConversationMessages"];
        put?: never;
        /**
         * Send a message
         * @description Text (trimmed, at most 4000 characters) and/or up to 10 `chat_attachment` files you uploaded. The message is stored before it is answered and delivered as `message:new` to the other participant's devices and your own. A resend with the same `clientMessageId` (or `Idempotency-Key`) returns the stored message. Messages per user are limited (`LIMIT_CHAT_MESSAGES`, sockets included).
         *
         *     Signed-in customer or contractor accounts.
         */
        post: operations["createConversationMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark messages read up to one
         * @description Your read position moves forward to this message (never back); the other participant gets `message:read`, and your unread count follows.
         *
         *     Signed-in customer or contractor accounts.
         */
        post: operations["readConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Review the contractor of a finished booking (customer)
         * @description Once per booking, by its customer, after its payment is released (`released`, also by a dispute resolved in the contractor's favour) or after a dispute ended in a partial refund (`partially_refunded`). Any other status answers 409 `review.booking_not_finished` naming it; a second review 409 `review.exists`. Someone who is neither party gets 404; the contractor gets 403. The contractor's rating changes in the same transaction. The review can be changed for `REVIEW_EDIT_WINDOW` (`editableUntil`).
         *
         *     Signed-in customer accounts.
         */
        post: operations["createBookingReview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reviews/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change your review's rating or comment
         * @description By its author, until `editableUntil` (`REVIEW_EDIT_WINDOW` after it was written); later answers 409 `review.edit_window_closed`. `comment: null` removes the comment. A review hidden by a moderator cannot be changed (409 `review.hidden`).
         *
         *     Signed-in customer accounts.
         */
        patch: operations["updateReview"];
        trace?: never;
    };
    "/api/v1/reviews/{id}/reply": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reply to a review of your work (the reviewed contractor)
         * @description Once per review, by the reviewed contractor only (anyone else: 403 `review.not_reviewed_contractor`); a second reply answers 409 `review.reply_exists`. The reply shows under the review in the public list.
         *
         *     Any signed-in user.
         */
        post: operations["createReviewReply"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/contractors/{id}/reviews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A contractor's reviews, newest first, with their rating
         * @description Public. Reviews hidden by a moderator are left out, and so are they from `rating` (average, count and how many reviews gave each number of stars). Each review names its reviewer by first name only and the category of the reviewed booking.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        get: operations["listContractorReviews"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/customer-rating": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rate the customer of a finished booking (contractor)
         * @description Once per booking, by its contractor, in the same statuses as a review (`released`, `partially_refunded`); a second one answers 409 `customer_rating.exists`. Only contractors and admins ever see a customer's rating: in `GET /customers/{id}/rating` and in the contractor's view of a booking (`customerRating`). The customer never does.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createBookingCustomerRating"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/customers/{id}/rating": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A customer's rating from contractors (contractors and admins)
         * @description The average and count of the ratings contractors gave this customer, so a contractor can judge a request. Customers cannot read it, their own included.
         *
         *     Signed-in contractor or admin accounts.
         */
        get: operations["getCustomerRating"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reviews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every review, newest first, for moderation
         * @description `status` keeps only visible or only hidden reviews; `contractorId` one contractor's. Hidden reviews carry who hid them, when and why.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListReviews"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reviews/{id}/hide": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Hide a review (moderation)
         * @description The review leaves the public list and the contractor's rating in one transaction, and the action is written to the audit log with its reason. Its author and the contractor still see it as hidden; it cannot be changed or replied to while hidden. An already hidden review answers 409 `review.already_hidden`.
         *
         *     Signed-in admin accounts.
         */
        post: operations["adminCreateReviewHide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reviews/{id}/unhide": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Show a hidden review again (moderation)
         * @description The review returns to the public list and the contractor's rating in one transaction; audit-logged, with the optional reason. A visible review answers 409 `review.not_hidden`.
         *
         *     Signed-in admin accounts.
         */
        post: operations["adminCreateReviewUnhide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookings/{id}/payment": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pay for an accepted booking (customer)
         * @description Creates (once per booking) a PaymentIntent for the booking's price on the platform account, held in escrow until release. Send `paymentMethodId` to confirm at once, or confirm in the app with the Stripe SDK and `clientSecret` (also for 3-D Secure, `requires_action`). The booking turns `funded` only when Stripe reports `payment_intent.succeeded`, never on this answer alone: watch `booking:updated` or read the booking. Calling again for the same booking answers the same PaymentIntent (a declined card may be replaced by another `paymentMethodId`). A declined card is 402 `payment.declined`; a contractor who has not finished Stripe onboarding makes the booking unpayable (409 `payment.contractor_not_onboarded`).
         *
         *     Signed-in customer accounts.
         */
        post: operations["createBookingPayment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/payments/connect/onboarding": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start or continue Stripe onboarding (contractor)
         * @description Creates your Stripe Connect Express account on the first call (payouts on a manual schedule: money reaches your bank when you withdraw) and answers a fresh onboarding link each time. With the simulated gateway, onboarding completes at once.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createPaymentsConnectOnboarding"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/payments/connect/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your Stripe onboarding status (contractor)
         * @description Kept current by Stripe's `account.updated` events. All false before onboarding starts.
         *
         *     Signed-in contractor accounts.
         */
        get: operations["getPaymentsConnectStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/earnings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your earnings (contractor)
         * @description `held`: your share of paid bookings not released yet; `available`: released to you and not withdrawn; `paidOut`: withdrawn to your bank. `entries` are the ledger entries of your available balance, newest first (`limit`, `cursor` page them).
         *
         *     Signed-in contractor accounts.
         */
        get: operations["getEarnings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/withdrawals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your withdrawals, newest first (contractor)
         * @description Signed-in contractor accounts.
         */
        get: operations["listWithdrawals"];
        put?: never;
        /**
         * Withdraw available earnings to your bank (contractor)
         * @description Takes the amount from your available balance at once and pays it out from your Stripe account (a Payout). Beyond the available balance: 422 `withdrawal.insufficient_funds` (its `available` says how much you may take). Send an `Idempotency-Key` so a retry cannot withdraw twice. A payout the bank returns makes the money available again.
         *
         *     Signed-in contractor accounts.
         */
        post: operations["createWithdrawal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Disputed bookings and open chargebacks, newest first
         * @description Bookings held as `disputed`, by their customer or by a card-network chargeback (listed with each), and released bookings with a chargeback the bank has not closed yet.
         *
         *     Signed-in admin accounts.
         */
        get: operations["adminListDisputes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes/{id}/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve a dispute: refund part, release the rest
         * @description `refundAmount` (0 to the price, in the booking's currency) goes back to the customer; the rest is released to the contractor less the commission on the released part (rounded half up). The booking becomes `released`, `partially_refunded` or `refunded` at once; the refund and the Transfer follow within seconds. Audit-logged with the note.
         *
         *     Signed-in admin accounts.
         */
        post: operations["adminResolveDispute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/bookings/{id}/refund": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refund a released booking, in part or in full
         * @description For money already released: `refundAmount` (1 to the price) goes back to the customer, the contractor's Transfer is reversed for their share of it and the commission on it is given back. The booking becomes `partially_refunded` or `refunded`. Audit-logged with the note.
         *
         *     Signed-in admin accounts.
         */
        post: operations["adminCreateBookingRefund"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/settings/commission": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The commission in force
         * @description Signed-in admin accounts.
         */
        get: operations["adminGetSettingsCommission"];
        /**
         * Change the commission
         * @description Applies to bookings paid from now on; a booking already paid keeps the commission frozen on it. Audit-logged.
         *
         *     Signed-in admin accounts.
         */
        put: operations["adminSetSettingsCommission"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/stripe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stripe webhook endpoint
         * @description For Stripe only. The `Stripe-Signature` header is verified on the raw body with `STRIPE_WEBHOOK_SECRET` (tolerance `STRIPE_WEBHOOK_TOLERANCE`); a bad or stale signature is 400 and nothing is stored. Each event is stored by id and processed once, in the background; a repeated delivery is answered `duplicate: true` and changes nothing.
         *
         *     Anyone may call this; an `Authorization` header is ignored.
         */
        post: operations["createWebhooksStripe"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process is up
         * @description For process supervisors: 200 whenever the process can serve; 503 only when the embedded database it runs is gone.
         */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the database answers and all migrations are applied
         * @description For load balancers: send traffic only while this answers 200.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        File: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            purpose: "avatar" | "portfolio" | "job_attachment" | "chat_attachment" | "verification_document";
            /** @description Detected from the bytes, not taken from the client */
            contentType: string;
            size: number;
            /** @description Stable for avatar and portfolio files; signed and short-lived otherwise */
            url: string;
            /** Format: date-time */
            urlExpiresAt: string | null;
            /** @description 320 px WebP preview of images */
            thumbnailUrl: string | null;
            width: number | null;
            height: number | null;
            originalName: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        /** @description RFC 9457 problem details */
        Problem: {
            /** @example urn:jobsphere:problem:validation.failed */
            type: string;
            title: string;
            status: number;
            detail: string;
            /**
             * @description Stable, dotted error code clients switch on
             * @enum {string}
             */
            code: "admin.cannot_suspend_self" | "auth.account_suspended" | "auth.code_attempts_exceeded" | "auth.code_expired" | "auth.email_already_verified" | "auth.email_taken" | "auth.forbidden" | "auth.invalid_code" | "auth.invalid_credentials" | "auth.invalid_refresh_token" | "auth.invalid_token" | "auth.origin_refused" | "auth.refresh_reused" | "auth.session_ended" | "auth.token_expired" | "auth.unauthenticated" | "auth.wrong_password" | "booking.action_not_allowed" | "booking.category_not_offered" | "booking.contractor_not_found" | "booking.contractor_unavailable" | "booking.dispute_response_exists" | "booking.invalid_transition" | "booking.not_found" | "booking.outside_availability" | "catalog.unknown_category" | "chat.client_message_id_reused" | "chat.invalid_participant" | "chat.message_not_found" | "chat.not_found" | "chat.not_participant" | "chat.participant_not_found" | "chat.rate_limited" | "contractor.not_found" | "contractor.profile_missing" | "customer_rating.exists" | "database.busy" | "database.unavailable" | "device.not_found" | "file.already_attached" | "file.heic_unsupported" | "file.link_invalid" | "file.malformed_multipart" | "file.missing_part" | "file.not_found" | "file.not_multipart" | "file.too_large" | "file.too_many_pixels" | "file.unsupported_type" | "file.wrong_purpose" | "idempotency.in_progress" | "idempotency.invalid_key" | "idempotency.key_reused" | "internal" | "job.invalid_state" | "job.not_found" | "job.start_missing" | "job.start_passed" | "ledger.invalid_posting" | "ledger.key_reused" | "ledger.unbalanced" | "pagination.invalid_cursor" | "payment.contractor_not_onboarded" | "payment.currency_mismatch" | "payment.declined" | "payment.gateway_failed" | "portfolio.not_found" | "quote.already_exists" | "quote.invalid_state" | "quote.not_found" | "rate_limited" | "request.headers_too_large" | "request.malformed" | "request.malformed_json" | "request.timeout" | "request.too_large" | "request.unsupported_media_type" | "resource.not_found" | "review.already_hidden" | "review.booking_not_finished" | "review.booking_not_found" | "review.contractor_not_found" | "review.customer_not_found" | "review.edit_window_closed" | "review.exists" | "review.hidden" | "review.not_author" | "review.not_found" | "review.not_hidden" | "review.not_reviewed_contractor" | "review.reply_exists" | "review.wrong_party" | "route.method_not_allowed" | "route.not_found" | "service.unavailable" | "user.deleted" | "user.deletion_blocked" | "user.last_admin" | "user.not_found" | "validation.failed" | "verification.already_decided" | "verification.already_pending" | "verification.already_verified" | "verification.not_found" | "webhook.invalid_signature" | "withdrawal.insufficient_funds" | "withdrawal.not_onboarded";
            requestId?: string;
            errors?: {
                path: string;
                /**
                 * @description What is wrong with this field; switch on it
                 * @enum {string}
                 */
                code: "required" | "too_short" | "too_long" | "too_small" | "too_big" | "invalid_type" | "invalid_format" | "invalid_value" | "too_common" | "unknown_field" | "not_unique" | "nul_character" | "needs_other_field" | "already_taken" | "incorrect" | "overlaps" | "not_allowed" | "not_found" | "in_use";
                message: string;
                /** @enum {string} */
                in: "body" | "query" | "params" | "header";
            }[];
            /** @description With `booking.invalid_transition`, `job.invalid_state` and `quote.invalid_state`: the state the thing is in now */
            currentStatus?: string;
            /** @description With `booking.outside_availability`: the contractor's time zone (IANA) */
            timezone?: string;
            /** @description With `booking.outside_availability`: up to three of the contractor's available ranges nearest the time asked, within a week */
            availableRanges?: {
                /** Format: date-time */
                start: string;
                /** Format: date-time */
                end: string;
            }[];
            /** @description With `auth.invalid_code`: how many more wrong codes this code allows (0: ask for a new one) */
            attemptsRemaining?: number;
        };
        FileUpload: {
            /**
             * @description Before or after the file part (or as ?purpose=); before lets the size limit apply sooner
             * @enum {string}
             */
            purpose: "avatar" | "portfolio" | "job_attachment" | "chat_attachment" | "verification_document";
            /** Format: binary */
            file: string;
        };
        User: {
            /** Format: uuid */
            id: string;
            /** Format: email */
            email: string;
            name: string;
            /** @enum {string} */
            role: "customer" | "contractor" | "admin";
            phone: string | null;
            avatarUrl: string | null;
            emailVerified: boolean;
            /** @enum {string} */
            status: "active" | "suspended" | "deleted";
            /** Format: date-time */
            createdAt: string;
        };
        UpdateMe: {
            name?: string;
            phone?: string | null;
            /**
             * Format: uuid
             * @description An `avatar` file from POST /files; null removes the avatar
             */
            avatarFileId?: string | null;
        };
        /** @description Public keys that verify access tokens (RFC 7517) */
        JsonWebKeySet: {
            keys: {
                [key: string]: unknown;
            }[];
        };
        AuthSession: {
            user: components["schemas"]["User"];
            accessToken: string;
            refreshToken: string;
            /** Format: date-time */
            accessTokenExpiresAt: string;
        };
        RegisterRequest: {
            email: string;
            password: string;
            name: string;
            /** @enum {string} */
            role: "customer" | "contractor";
            phone?: string;
        };
        LoginRequest: {
            email: string;
            password: string;
        };
        TokenPair: {
            /** @description JWT (EdDSA) to send as `Authorization: Bearer …` */
            accessToken: string;
            /** @description Opaque, single use: exchange it at /auth/refresh */
            refreshToken: string;
            /** Format: date-time */
            accessTokenExpiresAt: string;
        };
        RefreshRequest: {
            refreshToken: string;
        };
        LogoutRequest: {
            refreshToken: string;
        };
        Accepted: {
            /** @enum {string} */
            status: "accepted";
        };
        ForgotPasswordRequest: {
            email: string;
        };
        ResetPasswordRequest: {
            email: string;
            /** @description The 6-digit code from the email */
            code: string;
            newPassword: string;
        };
        ChangePasswordRequest: {
            currentPassword: string;
            newPassword: string;
        };
        DeleteAccountRequest: {
            /** @description The account's current password */
            password: string;
        };
        VerifyEmailRequest: {
            /** @description The 6-digit code from the email */
            code: string;
        };
        BrowserSession: {
            user: components["schemas"]["User"];
            /** @description JWT to send as `Authorization: Bearer …`; keep it in memory */
            accessToken: string;
            /** Format: date-time */
            accessTokenExpiresAt: string;
        };
        BrowserToken: {
            /** @description JWT to send as `Authorization: Bearer …`; keep it in memory */
            accessToken: string;
            /** Format: date-time */
            accessTokenExpiresAt: string;
        };
        NotificationPage: {
            items: components["schemas"]["Notification"][];
            nextCursor: string | null;
        };
        Notification: {
            /** Format: uuid */
            id: string;
            kind: components["schemas"]["NotificationKind"];
            title: string;
            body: string;
            /** @description What the app opens when the notification is tapped; the same keys arrive as the push's data payload */
            data: {
                kind: components["schemas"]["NotificationKind"];
                /** Format: uuid */
                bookingId?: string;
                /** Format: uuid */
                conversationId?: string;
                /** Format: uuid */
                jobId?: string;
                /** Format: uuid */
                quoteId?: string;
                withdrawalId?: string;
                /** Format: uuid */
                reviewId?: string;
            };
            /** Format: date-time */
            readAt: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        /**
         * @description What happened; the app routes on it together with the ids in `data`
         * @enum {string}
         */
        NotificationKind: "newQuote" | "quoteAccepted" | "bookingRequested" | "bookingAccepted" | "bookingDeclined" | "bookingExpired" | "bookingCancelled" | "paymentReceived" | "jobStarted" | "jobCompleted" | "fundsReleased" | "disputeOpened" | "disputeResponded" | "disputeResolved" | "withdrawalPaid" | "withdrawalFailed" | "newMessage" | "verificationDecided" | "newReview" | "reviewReplied";
        /** @description How many of your notifications are unread */
        UnreadCount: {
            unreadCount: number;
        };
        /** @description Either `ids` or `all: true` */
        MarkNotificationsRead: {
            /** @description Notifications to mark read; ids that are not yours are ignored */
            ids: string[];
        } | {
            /**
             * @description Mark every notification read
             * @enum {boolean}
             */
            all: true;
        };
        NotificationPreferences: {
            preferences: components["schemas"]["NotificationPreference"][];
        };
        NotificationPreference: {
            kind: components["schemas"]["NotificationKind"];
            /** @description Send a mobile push for this kind */
            push: boolean;
            /** @description Also email it; null for kinds that are never emailed */
            email: boolean | null;
        };
        NotificationPreferencesInput: {
            /** @description The kinds to change; kinds left out keep their settings */
            preferences: {
                kind: components["schemas"]["NotificationKind"];
                /** @description Send a mobile push for this kind */
                push: boolean;
                /** @description Also email it; null for kinds that are never emailed */
                email: boolean | null;
            }[];
        };
        Device: {
            token: string;
            /** @enum {string} */
            platform: "android" | "ios" | "web";
            /** Format: date-time */
            registeredAt: string;
        };
        DeviceInput: {
            /** @description The FCM registration token (Android, web, iOS through FCM) or APNs device token */
            token: string;
            /** @enum {string} */
            platform: "android" | "ios" | "web";
        };
        CategoryList: {
            items: components["schemas"]["Category"][];
        };
        Category: {
            slug: string;
            name: string;
            description: string;
        };
        ContractorProfile: {
            /** Format: uuid */
            id: string;
            name: string;
            avatarUrl: string | null;
            headline: string;
            bio: string;
            categorySlugs: string[];
            hourlyRate: components["schemas"]["Money"];
            serviceArea: components["schemas"]["ServiceArea"];
            yearsExperience: number | null;
            verified: boolean;
            /** @enum {string} */
            verificationStatus: "unverified" | "pending" | "verified" | "rejected";
            rating: components["schemas"]["Rating"];
            availability: components["schemas"]["Availability"] | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        Money: {
            amount: number;
            currency: string;
        };
        ServiceArea: {
            lat: number;
            lng: number;
            radiusKm: number;
        };
        Rating: {
            average: number;
            count: number;
        };
        Availability: {
            /** @description IANA time zone the hours are given in, e.g. Europe/London */
            timezone: string;
            weekly: components["schemas"]["WeeklyRange"][];
            exceptions?: components["schemas"]["DateException"][];
        };
        /** @description Hours on one weekday, in the contractor's time zone */
        WeeklyRange: {
            /** @description 0 = Sunday … 6 = Saturday */
            day: number;
            start: string;
            /** @description Exclusive; 24:00 is the end of the day */
            end: string;
        };
        /** @description One date's hours replacing (or cancelling) the weekly ones */
        DateException: {
            /**
             * Format: date
             * @example 2026-12-24
             */
            date: string;
            available: boolean;
            start?: string;
            /** @description Exclusive; 24:00 is the end of the day */
            end?: string;
        };
        ContractorProfileInput: {
            headline: string;
            bio: string;
            categorySlugs: string[];
            hourlyRate: components["schemas"]["Money"];
            serviceArea: components["schemas"]["ServiceArea"];
            yearsExperience?: number;
        };
        CustomerProfile: {
            defaultAddress: string | null;
            location: components["schemas"]["GeoPoint"] | null;
        };
        /**
         * @example {
         *       "lat": 51.5074,
         *       "lng": -0.1278
         *     }
         */
        GeoPoint: {
            lat: number;
            lng: number;
        };
        CustomerProfileInput: {
            defaultAddress?: string | null;
            location?: components["schemas"]["GeoPoint"] | null;
        };
        PortfolioItem: {
            /** Format: uuid */
            id: string;
            title: string;
            description: string | null;
            /** @description Display order among the contractor's items, 0 first */
            position: number;
            images: components["schemas"]["PortfolioImage"][];
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        PortfolioImage: {
            /**
             * Format: uuid
             * @description The file id
             */
            id: string;
            url: string;
            thumbnailUrl: string | null;
            width: number | null;
            height: number | null;
        };
        PortfolioItemInput: {
            title: string;
            description?: string;
            /** @description Ids of `portfolio` files you uploaded, in display order */
            fileIds: string[];
        };
        PortfolioItemList: {
            items: components["schemas"]["PortfolioItem"][];
        };
        PortfolioOrder: {
            /** @description Every one of your item ids, in the new display order */
            itemIds: string[];
        };
        PortfolioItemUpdate: {
            title?: string;
            description?: string | null;
            /** @description Ids of `portfolio` files you uploaded, in display order */
            fileIds?: string[];
        };
        VerificationRequest: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            status: "pending" | "approved" | "rejected";
            note: string | null;
            documents: components["schemas"]["VerificationDocument"][];
            /** @description The admin's reason, given when rejecting */
            reason: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            decidedAt: string | null;
        };
        VerificationDocument: {
            /** Format: uuid */
            id: string;
            contentType: string;
            size: number;
            /** @description Signed and short-lived: ask again for a fresh one */
            url: string;
            /** Format: date-time */
            urlExpiresAt: string | null;
            thumbnailUrl: string | null;
            originalName: string | null;
        };
        VerificationRequestInput: {
            /** @description Ids of `verification_document` files you uploaded */
            fileIds: string[];
            note?: string;
        };
        OwnVerification: {
            /** @enum {string} */
            status: "unverified" | "pending" | "verified" | "rejected";
            /** @description Newest first */
            requests: components["schemas"]["VerificationRequest"][];
        };
        ContractorSearchPage: {
            items: components["schemas"]["ContractorSearchResult"][];
            nextCursor: string | null;
        };
        ContractorSearchResult: {
            /** Format: uuid */
            id: string;
            name: string;
            headline: string;
            categorySlugs: string[];
            hourlyRate: components["schemas"]["Money"];
            rating: components["schemas"]["Rating"];
            /** @description Great-circle km from lat/lng to the centre of the contractor's service area as the public profile shows it (rounded to 0.01°, about 1 km), to 0.1; null without lat/lng */
            distanceKm: number | null;
            verified: boolean;
            avatarUrl: string | null;
        };
        PublicContractor: {
            /** Format: uuid */
            id: string;
            name: string;
            avatarUrl: string | null;
            headline: string;
            bio: string;
            categorySlugs: string[];
            hourlyRate: components["schemas"]["Money"];
            yearsExperience: number | null;
            verified: boolean;
            rating: components["schemas"]["Rating"];
            serviceArea: components["schemas"]["PublicServiceArea"];
            portfolio: components["schemas"]["PortfolioItem"][];
            availability: components["schemas"]["AvailabilitySummary"] | null;
            contact: components["schemas"]["ContractorContact"] | null;
            /** Format: date-time */
            memberSince: string;
        };
        /** @description Centre rounded to 0.01° (about 1 km), so a contractor's home address is not exposed; search measures from this centre too */
        PublicServiceArea: {
            lat: number;
            lng: number;
            radiusKm: number;
        };
        AvailabilitySummary: {
            timezone: string;
            availableNow: boolean;
            /** Format: date-time */
            nextAvailableAt: string | null;
            weekly: components["schemas"]["WeeklyRange"][];
        };
        ContractorContact: {
            email: string;
            phone: string | null;
        };
        Booking: {
            /** Format: uuid */
            id: string;
            status: components["schemas"]["BookingStatus"];
            customer: components["schemas"]["BookingParty"];
            contractor: components["schemas"]["BookingParty"];
            categorySlug: string;
            description: string;
            /** Format: date-time */
            scheduledStart: string;
            /** Format: date-time */
            scheduledEnd: string | null;
            location: components["schemas"]["BookingLocation"];
            price: components["schemas"]["Money"];
            /** @description The platform's share, frozen when the booking is paid; null before */
            commission: {
                amount: number;
                currency: string;
            } | null;
            /** @description What the contractor receives, frozen when the booking is paid; null before */
            contractorAmount: {
                amount: number;
                currency: string;
            } | null;
            /** @description What the customer is owed back (cancellation policy or dispute resolution); null when nothing was paid */
            refundAmount: components["schemas"]["Money"] | null;
            disputeReason: string | null;
            /** @description The contractor's side of the dispute (`POST /bookings/{id}/dispute/response`), stated once; kept after the dispute is resolved. Null until stated */
            disputeResponse: {
                statement: string;
                /** Format: date-time */
                at: string;
            } | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description Every status change, oldest first */
            history: components["schemas"]["BookingHistoryEntry"][];
            /** @description How contractors rated the customer (average 0 when never rated): only in the answers of GET /bookings and GET /bookings/{id} to the booking's contractor and admins, never to the customer */
            customerRating?: {
                average: number;
                count: number;
            };
        };
        /** @enum {string} */
        BookingStatus: "requested" | "accepted" | "declined" | "expired" | "funded" | "in_progress" | "completed" | "released" | "disputed" | "refunded" | "partially_refunded" | "cancelled";
        /** @description One side of a booking */
        BookingParty: {
            /** Format: uuid */
            id: string;
            name: string;
        };
        /** @description Where the work happens */
        BookingLocation: {
            lat: number;
            lng: number;
            address: string;
        };
        BookingHistoryEntry: {
            status: components["schemas"]["BookingStatus"];
            /** @description The status before; null for the first entry */
            from: components["schemas"]["BookingStatus"] | null;
            /** Format: date-time */
            at: string;
            /** @description The user id who made the change, or "system" (timers, payments) */
            by: string;
            note: string | null;
        };
        BookingRequestInput: {
            /** Format: uuid */
            contractorId: string;
            categorySlug: string;
            description: string;
            /**
             * Format: date-time
             * @description When the work starts; must be in the future
             */
            scheduledStart: string;
            /**
             * Format: date-time
             * @description When the work ends; after scheduledStart
             */
            scheduledEnd?: string;
            location: {
                lat: number;
                lng: number;
                address: string;
            };
            price: components["schemas"]["Money"];
        };
        DisputeInput: {
            reason: string;
        };
        DisputeResponseInput: {
            statement: string;
        };
        AuditEntryPage: {
            items: components["schemas"]["AuditEntry"][];
            nextCursor: string | null;
        };
        AuditEntry: {
            /** Format: uuid */
            id: string;
            /** @description The admin who made the change */
            actor: {
                /** Format: uuid */
                id: string;
                name: string;
                email: string;
            };
            /** @example user.suspend */
            action: string;
            targetType: string;
            targetId: string;
            /** @description The record's fields the action changed, before it; null if it created the record */
            before?: unknown;
            /** @description The same fields after it; null if it removed the record */
            after?: unknown;
            reason: string | null;
            /** Format: date-time */
            at: string;
        };
        UserPage: {
            items: components["schemas"]["User"][];
            nextCursor: string | null;
        };
        AdminUpdateUser: {
            name?: string;
            phone?: string | null;
            /** @enum {string} */
            status?: "active" | "suspended";
            /** @description Why: kept in the audit log with the change */
            reason?: string;
        };
        AdminVerificationRequestPage: {
            items: components["schemas"]["AdminVerificationRequest"][];
            nextCursor: string | null;
        };
        AdminVerificationRequest: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            status: "pending" | "approved" | "rejected";
            note: string | null;
            documents: components["schemas"]["VerificationDocument"][];
            /** @description The admin's reason, given when rejecting */
            reason: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            decidedAt: string | null;
            contractor: {
                /** Format: uuid */
                id: string;
                name: string;
                email: string;
            };
            /** Format: uuid */
            decidedBy: string | null;
        };
        VerificationDecision: {
            /** @enum {string} */
            decision: "approve" | "reject";
            /** @description Shown to the contractor; required when rejecting */
            reason?: string;
        };
        AdminMetrics: {
            period: {
                /** Format: date-time */
                from: string;
                /** Format: date-time */
                to: string;
            };
            users: {
                /** @description Every account now */
                byRole: {
                    customer: number;
                    contractor: number;
                    admin: number;
                };
                /** @description Every account now */
                byStatus: {
                    active: number;
                    suspended: number;
                    deleted: number;
                };
                /** @description Accounts created in the period */
                newSignUps: number;
            };
            /** @description Jobs taking quotes now */
            openJobs: number;
            bookings: {
                /** @description Bookings created in the period, by the status they are in now (every status, 0 included) */
                byStatus: {
                    requested?: number;
                    accepted?: number;
                    declined?: number;
                    expired?: number;
                    funded?: number;
                    in_progress?: number;
                    completed?: number;
                    released?: number;
                    disputed?: number;
                    refunded?: number;
                    partially_refunded?: number;
                    cancelled?: number;
                };
                /** @description Bookings created in the period */
                created: number;
            };
            /** @description Price of the bookings paid in the period (they became `funded` in it), one entry per currency */
            grossBookingValue: components["schemas"]["Money"][];
            /** @description The platform's commission earned in the period, per currency, from the ledger: commission on money released in the period, less commission given back by refunds after release in it */
            commissionEarned: components["schemas"]["NetMoney"][];
            /** @description Customers' payments held now (bookings funded, in progress, completed or disputed), per currency */
            moneyHeld: components["schemas"]["Money"][];
            /** @description Verification requests waiting now */
            pendingVerifications: number;
            /** @description Bookings in status `disputed` now */
            openDisputes: number;
            /** @description One entry per UTC day of the period, oldest first, days without activity included */
            daily: {
                /** Format: date */
                date: string;
                signUps: number;
                /** @description Bookings created that day */
                bookings: number;
                /** @description Value paid that day, per currency */
                grossBookingValue: components["schemas"]["Money"][];
                /** @description Commission earned that day, per currency */
                commissionEarned: components["schemas"]["NetMoney"][];
            }[];
        };
        NetMoney: {
            /** @description Signed minor units */
            amount: number;
            currency: string;
        };
        AdminBookingPage: {
            items: components["schemas"]["Booking"][];
            nextCursor: string | null;
        };
        AdminJobPage: {
            items: components["schemas"]["Job"][];
            nextCursor: string | null;
        };
        Job: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            customerId: string;
            title: string;
            description: string;
            categorySlug: string;
            location: components["schemas"]["JobLocation"];
            budget: components["schemas"]["Money"] | null;
            /** Format: date-time */
            preferredStart: string | null;
            /** @enum {string} */
            status: "open" | "assigned" | "cancelled" | "expired";
            attachments: components["schemas"]["JobAttachment"][];
            /**
             * Format: date-time
             * @description An open job takes quotes until then
             */
            expiresAt: string;
            /** Format: uuid */
            assignedContractorId: string | null;
            /**
             * Format: uuid
             * @description The booking of the accepted quote (owner, admins, assigned contractor)
             */
            bookingId: string | null;
            /** @description Owner and admins: quotes received, in any state */
            quoteCount?: number;
            /** @description Contractors: from their service area's public centre to the job's rounded place */
            distanceKm?: number;
            /** @description Contractors and admins: how contractors rated the job's customer (average 0 when never rated); never shown to the customer */
            customerRating?: {
                average: number;
                count: number;
            };
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        /** @description The owner, admins and the assigned contractor see the place as posted; other contractors see it rounded to 0.01° and no address */
        JobLocation: {
            lat: number;
            lng: number;
            address: string | null;
        };
        JobAttachment: {
            /** Format: uuid */
            id: string;
            contentType: string;
            size: number;
            /** @description Signed, short-lived: fetch a fresh one with GET /jobs/:id */
            url: string;
            thumbnailUrl: string | null;
        };
        AdminJobDetail: {
            job: components["schemas"]["Job"];
            /** @description Every quote the job received, oldest first */
            quotes: components["schemas"]["Quote"][];
        };
        Quote: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            jobId: string;
            /** Format: uuid */
            contractorId: string;
            contractorName: string;
            price: components["schemas"]["Money"];
            message: string;
            /** Format: date-time */
            proposedStart: string | null;
            /** @enum {string} */
            status: "pending" | "accepted" | "rejected" | "withdrawn";
            /**
             * @description Why a quote was rejected or withdrawn without anyone choosing it: another quote accepted, the job cancelled or expired, an account deleted
             * @enum {string|null}
             */
            closedReason: "other_quote_accepted" | "job_cancelled" | "job_expired" | "account_deleted" | null;
            /** Format: date-time */
            decidedAt: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        JobInput: {
            title: string;
            description: string;
            categorySlug: string;
            location: components["schemas"]["JobLocationInput"];
            budget?: components["schemas"]["Money"];
            /**
             * Format: date-time
             * @description When the work should start; in the future
             */
            preferredStart?: string;
            /** @description Ids of `job_attachment` files you uploaded, in display order */
            attachmentFileIds?: string[];
        };
        JobLocationInput: {
            lat: number;
            lng: number;
            address: string;
        };
        JobPage: {
            items: components["schemas"]["Job"][];
            nextCursor: string | null;
        };
        JobUpdate: {
            title?: string;
            description?: string;
            categorySlug?: string;
            location?: components["schemas"]["JobLocationInput"];
            budget?: components["schemas"]["Money"] | null;
            /** Format: date-time */
            preferredStart?: string | null;
            /** @description Replaces the whole list: new ids are attached, ids left out are released and deleted later */
            attachmentFileIds?: string[];
        };
        QuoteInput: {
            price: components["schemas"]["Money"];
            message: string;
            /**
             * Format: date-time
             * @description In the future; required when the job has no preferredStart
             */
            proposedStart?: string;
        };
        QuotePage: {
            items: components["schemas"]["Quote"][];
            nextCursor: string | null;
        };
        QuoteUpdate: {
            price?: components["schemas"]["Money"];
            message?: string;
            /** Format: date-time */
            proposedStart?: string | null;
        };
        LedgerTransactionPage: {
            items: components["schemas"]["LedgerTransaction"][];
            nextCursor: string | null;
        };
        LedgerTransaction: {
            /** Format: uuid */
            id: string;
            /** @description The idempotency key the movement was recorded under */
            key: string;
            /** @description What happened: funding, release, transfer, refund, withdrawal… */
            kind: string;
            currency: string;
            /** Format: uuid */
            bookingId: string | null;
            /** Format: uuid */
            withdrawalId: string | null;
            memo: string | null;
            /** Format: date-time */
            createdAt: string;
            /** @description Debits first; they sum to zero */
            entries: components["schemas"]["LedgerPosting"][];
        };
        /** @description One entry of a ledger transaction */
        LedgerPosting: {
            account: string;
            /** @description Signed minor units: positive debits the account, negative credits it */
            amount: number;
        };
        LedgerBalancePage: {
            items: components["schemas"]["LedgerAccountBalance"][];
            nextCursor: string | null;
        };
        LedgerAccountBalance: {
            account: string;
            currency: string;
            /** @description Signed minor units: positive debits the account, negative credits it */
            balance: number;
        };
        ConversationPage: {
            items: components["schemas"]["Conversation"][];
            nextCursor: string | null;
        };
        Conversation: {
            /** Format: uuid */
            id: string;
            customer: components["schemas"]["ConversationPerson"];
            contractor: components["schemas"]["ConversationPerson"];
            /** @description The pair's bookings, newest first */
            bookings: components["schemas"]["LinkedBooking"][];
            lastMessage: components["schemas"]["Message"] | null;
            /** @description Messages from the other side after your read position (always 0 for admins) */
            unreadCount: number;
            /**
             * Format: uuid
             * @description The newest message the other side has read (for a participant: the other one; for admins: null)
             */
            otherReadUpToMessageId: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        ConversationPerson: {
            /** Format: uuid */
            id: string;
            name: string;
            avatarUrl: string | null;
        };
        LinkedBooking: {
            /** Format: uuid */
            id: string;
            status: string;
            /** Format: date-time */
            scheduledStart: string;
        };
        Message: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            conversationId: string;
            /** Format: uuid */
            senderId: string;
            text: string;
            attachments: components["schemas"]["MessageAttachment"][];
            clientMessageId: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        MessageAttachment: {
            /** Format: uuid */
            id: string;
            contentType: string;
            size: number;
            /** @description Signed; valid for `SIGNED_URL_TTL_SECONDS` (fetch the message again for a fresh one) */
            url: string;
            /** @description Images only: a small WebP, signed likewise */
            thumbnailUrl: string | null;
            originalName: string | null;
        };
        ConversationInput: {
            /**
             * Format: uuid
             * @description The other side: a contractor when you are a customer, a customer when you are a contractor
             */
            participantId: string;
        };
        MessagePage: {
            items: components["schemas"]["Message"][];
            nextCursor: string | null;
        };
        MessageInput: {
            /** @description Trimmed; at most 4000 characters; may be left out when attachments are sent */
            text?: string;
            /** @description Ids of `chat_attachment` files you uploaded, in display order */
            attachmentFileIds?: string[];
            /** @description Your own id for this message (a UUID made on the device): a resend with the same one returns the stored message instead of sending it twice */
            clientMessageId?: string;
        };
        ReadReceipt: {
            /** Format: uuid */
            conversationId: string;
            /** Format: uuid */
            userId: string;
            /**
             * Format: uuid
             * @description Your read position now (it never moves back)
             */
            upToMessageId: string;
            /** Format: date-time */
            readAt: string;
            unreadCount: number;
        };
        ReadReceiptInput: {
            /**
             * Format: uuid
             * @description The newest message you have shown; it and every earlier message count as read
             */
            upToMessageId: string;
        };
        Review: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            bookingId: string;
            /** Format: uuid */
            contractorId: string;
            categorySlug: string;
            rating: number;
            comment: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            editedAt: string | null;
            /**
             * Format: date-time
             * @description The customer may change the rating and comment until then (REVIEW_EDIT_WINDOW)
             */
            editableUntil: string;
            reply: components["schemas"]["ReviewReply"] | null;
            /** @description Hidden by a moderator: out of the public list and the rating */
            hidden: boolean;
        };
        /** @description The reviewed contractor's one reply */
        ReviewReply: {
            text: string;
            /** Format: date-time */
            createdAt: string;
        };
        ReviewInput: {
            /** @description Stars, 1 (poor) to 5 (excellent) */
            rating: number;
            comment?: string;
        };
        ReviewChange: {
            /** @description Stars, 1 (poor) to 5 (excellent) */
            rating?: number;
            /** @description null removes the comment */
            comment?: string | null;
        };
        ReviewReplyInput: {
            text: string;
        };
        ContractorReviewsPage: {
            items: components["schemas"]["PublicReview"][];
            nextCursor: string | null;
            rating: components["schemas"]["RatingSummary"];
        };
        PublicReview: {
            /** Format: uuid */
            id: string;
            rating: number;
            comment: string | null;
            reviewer: {
                firstName: string;
            };
            /** @description The service category of the reviewed booking */
            categorySlug: string;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            editedAt: string | null;
            reply: components["schemas"]["ReviewReply"] | null;
        };
        RatingSummary: {
            /** @description Mean stars of the visible reviews, to two decimals; 0 when none */
            average: number;
            count: number;
            /** @description How many visible reviews gave each number of stars */
            distribution: {
                1: number;
                2: number;
                3: number;
                4: number;
                5: number;
            };
        };
        CustomerRating: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            bookingId: string;
            /** Format: uuid */
            customerId: string;
            rating: number;
            comment: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        CustomerRatingInput: {
            /** @description Stars, 1 (poor) to 5 (excellent) */
            rating: number;
            comment?: string;
        };
        CustomerRatingSummary: {
            /** Format: uuid */
            customerId: string;
            /** @description Mean stars contractors gave, to two decimals; 0 when none */
            average: number;
            count: number;
        };
        AdminReviewPage: {
            items: components["schemas"]["AdminReview"][];
            nextCursor: string | null;
        };
        AdminReview: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            bookingId: string;
            categorySlug: string;
            rating: number;
            comment: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            editedAt: string | null;
            /**
             * Format: date-time
             * @description The customer may change the rating and comment until then (REVIEW_EDIT_WINDOW)
             */
            editableUntil: string;
            reply: components["schemas"]["ReviewReply"] | null;
            /** @description Hidden by a moderator: out of the public list and the rating */
            hidden: boolean;
            customer: {
                /** Format: uuid */
                id: string;
                name: string;
            };
            contractor: {
                /** Format: uuid */
                id: string;
                name: string;
            };
            /** @description Why and when an admin hid the review; null while it is visible */
            moderation: {
                /** Format: date-time */
                hiddenAt: string;
                reason: string;
                /** Format: uuid */
                by: string;
            } | null;
        };
        ReviewHideInput: {
            reason: string;
        };
        ReviewUnhideInput: {
            reason?: string;
        };
        Payment: {
            /** @description The PaymentIntent's status: `requires_payment_method`, `requires_action` (3-D Secure: finish it with `clientSecret`), `processing`, `succeeded`, `canceled`. The booking turns `funded` only once Stripe reports the payment succeeded. */
            status: string;
            /** @description For the Stripe SDK in the app (confirm, 3-D Secure); null once paid */
            clientSecret: string | null;
            paymentIntentId: string;
            amount: components["schemas"]["Money"];
        };
        PaymentRequest: {
            /** @description A PaymentMethod to confirm with now (simulated mode: `pm_card_visa`, `pm_card_chargeDeclined`, `pm_card_authenticationRequired`). Leave it out to confirm in the app with `clientSecret`. */
            paymentMethodId?: string;
        };
        ConnectOnboarding: {
            /**
             * Format: uri
             * @description Open it in a browser: Stripe's onboarding for this account
             */
            url: string;
        };
        ConnectStatus: {
            chargesEnabled: boolean;
            payoutsEnabled: boolean;
            detailsSubmitted: boolean;
            /** @description Bookings with you can be paid only when this is true */
            transfersEnabled: boolean;
        };
        Earnings: {
            /** @description Your share of paid bookings not released yet */
            held: {
                amount: number;
                currency: string;
            };
            /** @description Released to you and not withdrawn: what you may withdraw */
            available: {
                amount: number;
                currency: string;
            };
            /** @description Withdrawn to your bank */
            paidOut: {
                amount: number;
                currency: string;
            };
            /** @description The ledger entries behind `available`, newest first */
            entries: components["schemas"]["EarningsEntry"][];
            nextCursor: string | null;
        };
        EarningsEntry: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            transactionId: string;
            /** @description payment, release, reversal, refund, withdrawal, payout_paid, payout_failed… */
            kind: string;
            account: string;
            /** @description Signed minor units: negative (a credit) adds to what you are owed, positive takes from it */
            amount: number;
            currency: string;
            /** Format: uuid */
            bookingId: string | null;
            /** Format: uuid */
            withdrawalId: string | null;
            memo: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        Withdrawal: {
            /** Format: uuid */
            id: string;
            /**
             * @description `pending`: asked; `in_transit`: the payout is on its way to your bank; `paid`; `failed`: the bank returned it and the money is available again
             * @enum {string}
             */
            status: "pending" | "in_transit" | "paid" | "failed";
            amount: components["schemas"]["Money"];
            failureCode: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        Dispute: {
            booking: components["schemas"]["Booking"];
            chargebacks: {
                id: string;
                amount: components["schemas"]["Money"];
                reason: string;
                status: string;
                /** Format: date-time */
                createdAt: string;
            }[];
        };
        CommissionSettings: {
            /** @description Basis points of the price (1000 = 10%) */
            rateBps: number;
            /** @description Added to every booking paid in this currency (bookings in other currencies pay the rate only) */
            fixedFee: {
                amount: number;
                currency: string;
            };
        };
        WebhookReceipt: {
            /** @enum {boolean} */
            received: true;
            duplicate: boolean;
        };
        Liveness: {
            /** @enum {string} */
            status: "live";
        };
        LivenessDown: {
            /** @enum {string} */
            status: "down";
        };
        Readiness: {
            /** @enum {string} */
            status: "ready" | "unavailable";
            checks: {
                /** @enum {string} */
                database: "up" | "down";
                /** @enum {string} */
                migrations: "applied" | "pending" | "unknown";
                /**
                 * @description `busy` while requests wait for a pooled connection: load, which leaves the server ready
                 * @enum {string}
                 */
                pool: "free" | "busy";
            };
            pool: {
                max: number;
                open: number;
                idle: number;
                /** @description Requests waiting for a pooled connection */
                waiting: number;
            };
            pendingMigrations?: string[];
            /** @enum {boolean} */
            stopping?: true;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description The request's id (yours when you sent a sane `X-Request-Id`): quote it when reporting a problem */
        "X-Request-Id": string;
        /** @description Seconds to wait before trying again */
        "Retry-After": number;
        /** @description Attempts allowed in the current window of the limit closest to refusing */
        "RateLimit-Limit": number;
        /** @description Attempts left in that window (0 when refused) */
        "RateLimit-Remaining": number;
        /** @description Seconds until that window starts over */
        "RateLimit-Reset": number;
        /** @description `true` when this answer is the stored answer of an earlier request with the same `Idempotency-Key` */
        "Idempotent-Replayed": "true";
        /** @description Weak validator of the body: send it back as `If-None-Match` and an unchanged answer is 304 */
        ETag: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createFile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["FileUpload"];
            };
        };
        responses: {
            /** @description The stored file */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c",
                     *       "purpose": "avatar",
                     *       "contentType": "image/jpeg",
                     *       "size": 184332,
                     *       "url": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *       "urlExpiresAt": null,
                     *       "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.thumb.webp",
                     *       "width": 1024,
                     *       "height": 1024,
                     *       "originalName": "IMG_2041.jpg",
                     *       "createdAt": "2026-03-02T09:20:05.318Z"
                     *     }
                     */
                    "application/json": components["schemas"]["File"];
                };
            };
            /** @description `file.missing_part`: The upload lacks the file or its purpose; `file.malformed_multipart`: The multipart body cannot be read */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.too_large`: The file is too large for its purpose */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.not_multipart`: Uploads must be multipart/form-data; `file.unsupported_type`: This kind of file is not accepted here; `file.heic_unsupported`: HEIC/HEIF photos are not accepted; send JPEG */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.too_many_pixels`: The image has more pixels than accepted */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e8ef-6b7c-7d8e-af01-23456789abcd",
                     *       "purpose": "verification_document",
                     *       "contentType": "application/pdf",
                     *       "size": 402118,
                     *       "url": "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
                     *       "urlExpiresAt": "2026-03-02T09:25:00.000Z",
                     *       "thumbnailUrl": null,
                     *       "width": null,
                     *       "height": null,
                     *       "originalName": "electrical-licence.pdf",
                     *       "createdAt": "2026-02-27T16:41:12.904Z"
                     *     }
                     */
                    "application/json": components["schemas"]["File"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *       "email": "maria.lopez@example.com",
                     *       "name": "Maria Lopez",
                     *       "role": "customer",
                     *       "phone": "+14155550123",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *       "emailVerified": true,
                     *       "status": "active",
                     *       "createdAt": "2026-03-02T09:14:27.512Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "password": "tulip-orbit-canvas-42"
                 *     }
                 */
                "application/json": components["schemas"]["DeleteAccountRequest"];
            };
        };
        responses: {
            /** @description The account is deleted */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.wrong_password`: The current password is wrong; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.deletion_blocked`: The account cannot be deleted while something is outstanding; `user.last_admin`: The last admin account cannot be deleted */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "phone": "+1 (415) 555-0123",
                 *       "avatarFileId": "0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c"
                 *     }
                 */
                "application/json": components["schemas"]["UpdateMe"];
            };
        };
        responses: {
            /** @description The updated user */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *       "email": "maria.lopez@example.com",
                     *       "name": "Maria Lopez",
                     *       "role": "customer",
                     *       "phone": "+14155550123",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *       "emailVerified": true,
                     *       "status": "active",
                     *       "createdAt": "2026-03-02T09:14:27.512Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user; `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.already_attached`: This file is already used elsewhere */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key set */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "keys": [
                     *         {
                     *           "kty": "OKP",
                     *           "crv": "Ed25519",
                     *           "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                     *           "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
                     *           "alg": "EdDSA",
                     *           "use": "sig"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["JsonWebKeySet"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "maria.lopez@example.com",
                 *       "password": "tulip-orbit-canvas-42",
                 *       "name": "Maria Lopez",
                 *       "role": "customer",
                 *       "phone": "+14155550123"
                 *     }
                 */
                "application/json": components["schemas"]["RegisterRequest"];
            };
        };
        responses: {
            /** @description The account and its first session */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": {
                     *         "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "email": "maria.lopez@example.com",
                     *         "name": "Maria Lopez",
                     *         "role": "customer",
                     *         "phone": "+14155550123",
                     *         "avatarUrl": null,
                     *         "emailVerified": false,
                     *         "status": "active",
                     *         "createdAt": "2026-03-02T09:14:27.512Z"
                     *       },
                     *       "accessToken": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
                     *       "refreshToken": "p8Xq2vLk9ZsT4mWc7Jd1RfYb6NhG3eQa0UoIyK5tBnE",
                     *       "accessTokenExpiresAt": "2026-03-02T09:29:27.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["AuthSession"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.email_taken`: An account with this email already exists */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "maria.lopez@example.com",
                 *       "password": "tulip-orbit-canvas-42"
                 *     }
                 */
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description A new session */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": {
                     *         "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "email": "maria.lopez@example.com",
                     *         "name": "Maria Lopez",
                     *         "role": "customer",
                     *         "phone": "+14155550123",
                     *         "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *         "emailVerified": true,
                     *         "status": "active",
                     *         "createdAt": "2026-03-02T09:14:27.512Z"
                     *       },
                     *       "accessToken": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
                     *       "refreshToken": "p8Xq2vLk9ZsT4mWc7Jd1RfYb6NhG3eQa0UoIyK5tBnE",
                     *       "accessTokenExpiresAt": "2026-03-02T09:29:27.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["AuthSession"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.invalid_credentials`: Wrong email or password */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refreshToken": "p8Xq2vLk9ZsT4mWc7Jd1RfYb6NhG3eQa0UoIyK5tBnE"
                 *     }
                 */
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description A new access and refresh token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "accessToken": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
                     *       "refreshToken": "Vn3cR8wJ1kTq6ZyA0sLm4HdXe9PbG2uFo7iKt5NjWgQ",
                     *       "accessTokenExpiresAt": "2026-03-02T09:44:31.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.invalid_refresh_token`: The refresh token is invalid or expired; `auth.refresh_reused`: This refresh token was already used; the session has been ended for safety; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refreshToken": "Vn3cR8wJ1kTq6ZyA0sLm4HdXe9PbG2uFo7iKt5NjWgQ"
                 *     }
                 */
                "application/json": components["schemas"]["LogoutRequest"];
            };
        };
        responses: {
            /** @description The session has ended (or was not open) */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logoutAll: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description All sessions have ended */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    forgotPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "maria.lopez@example.com"
                 *     }
                 */
                "application/json": components["schemas"]["ForgotPasswordRequest"];
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "accepted"
                     *     }
                     */
                    "application/json": components["schemas"]["Accepted"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    resetPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "maria.lopez@example.com",
                 *       "code": "482913",
                 *       "newPassword": "harbour-mosaic-lantern-7"
                 *     }
                 */
                "application/json": components["schemas"]["ResetPasswordRequest"];
            };
        };
        responses: {
            /** @description The password is changed */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.invalid_code`: The code is wrong; `auth.code_expired`: The code has expired; ask for a new one; `auth.code_attempts_exceeded`: Too many wrong codes; ask for a new one; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "currentPassword": "tulip-orbit-canvas-42",
                 *       "newPassword": "harbour-mosaic-lantern-7"
                 *     }
                 */
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            /** @description The password is changed */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.wrong_password`: The current password is wrong; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    verifyEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "482913"
                 *     }
                 */
                "application/json": components["schemas"]["VerifyEmailRequest"];
            };
        };
        responses: {
            /** @description The address is verified */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.invalid_code`: The code is wrong; `auth.code_expired`: The code has expired; ask for a new one; `auth.code_attempts_exceeded`: Too many wrong codes; ask for a new one; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    resendEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "accepted"
                     *     }
                     */
                    "application/json": components["schemas"]["Accepted"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.email_already_verified`: The email address is already verified */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    loginBrowser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "admin@jobsphere.example",
                 *       "password": "tulip-orbit-canvas-42"
                 *     }
                 */
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description The user and an access token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "user": {
                     *         "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "email": "maria.lopez@example.com",
                     *         "name": "Maria Lopez",
                     *         "role": "admin",
                     *         "phone": "+14155550123",
                     *         "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *         "emailVerified": true,
                     *         "status": "active",
                     *         "createdAt": "2026-03-02T09:14:27.512Z"
                     *       },
                     *       "accessToken": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiYWRtaW4iLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
                     *       "accessTokenExpiresAt": "2026-03-02T09:29:27.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["BrowserSession"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.invalid_credentials`: Wrong email or password */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited`: Too many requests */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    refreshBrowser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A new access token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "accessToken": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiYWRtaW4iLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
                     *       "accessTokenExpiresAt": "2026-03-02T09:44:31.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["BrowserToken"];
                };
            };
            /** @description `auth.invalid_refresh_token`: The refresh token is invalid or expired; `auth.refresh_reused`: This refresh token was already used; the session has been ended for safety; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.origin_refused`: The sign-in cookie may be used only by this server's own pages; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logoutBrowser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `auth.origin_refused`: The sign-in cookie may be used only by this server's own pages */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listNotifications: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description `true`: only unread notifications */
                unread?: "true" | "false";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of notifications */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193a2b4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *           "kind": "bookingAccepted",
                     *           "title": "Booking confirmed",
                     *           "body": "Priya Patel accepted your booking \"Replace the fuse board\". Pay to secure it.",
                     *           "data": {
                     *             "kind": "bookingAccepted",
                     *             "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b"
                     *           },
                     *           "readAt": null,
                     *           "createdAt": "2026-12-01T11:02:01.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["NotificationPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getNotificationsUnreadCount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The unread count */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "unreadCount": 3
                     *     }
                     */
                    "application/json": components["schemas"]["UnreadCount"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readNotifications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ids": [
                 *         "0193a2b4-5d6e-7f80-9a1b-2c3d4e5f6a7b"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["MarkNotificationsRead"];
            };
        };
        responses: {
            /** @description What stays unread */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "unreadCount": 2
                     *     }
                     */
                    "application/json": components["schemas"]["UnreadCount"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getNotificationsPreferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Your choices */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "preferences": [
                     *         {
                     *           "kind": "bookingAccepted",
                     *           "push": true,
                     *           "email": true
                     *         },
                     *         {
                     *           "kind": "newMessage",
                     *           "push": false,
                     *           "email": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["NotificationPreferences"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setNotificationsPreferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "preferences": [
                 *         {
                 *           "kind": "newMessage",
                 *           "push": false,
                 *           "email": null
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["NotificationPreferencesInput"];
            };
        };
        responses: {
            /** @description All your choices after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "preferences": [
                     *         {
                     *           "kind": "bookingAccepted",
                     *           "push": true,
                     *           "email": true
                     *         },
                     *         {
                     *           "kind": "newMessage",
                     *           "push": false,
                     *           "email": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["NotificationPreferences"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createDevice: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "token": "dXk3b1RjQ0lTZ2U6APA91bHqL8m2X0bYz4kq1m7Wv8rN3c5tS9uJ2eF6hG0iK4lM7nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3",
                 *       "platform": "android"
                 *     }
                 */
                "application/json": components["schemas"]["DeviceInput"];
            };
        };
        responses: {
            /** @description The registered device */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "token": "dXk3b1RjQ0lTZ2U6APA91bHqL8m2X0bYz4kq1m7Wv8rN3c5tS9uJ2eF6hG0iK4lM7nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3",
                     *       "platform": "android",
                     *       "registeredAt": "2026-12-01T10:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Device"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteDevice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The device no longer receives your pushes */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `device.not_found`: No device with this token is registered to you */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listCategories: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every active category, in display order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "slug": "electrician",
                     *           "name": "Electrician",
                     *           "description": "Wiring, lighting, fuse boards"
                     *         },
                     *         {
                     *           "slug": "plumber",
                     *           "name": "Plumber",
                     *           "description": "Leaks, pipes, boilers, bathrooms"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["CategoryList"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMyContractorProfile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *       "name": "Tom Baker",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
                     *       "headline": "Certified electrician: rewiring, lighting and fuse boards",
                     *       "bio": "Fifteen years of domestic and small commercial work across north London. NICEIC registered, fully insured, tidy.",
                     *       "categorySlugs": [
                     *         "electrician"
                     *       ],
                     *       "hourlyRate": {
                     *         "amount": 6500,
                     *         "currency": "gbp"
                     *       },
                     *       "serviceArea": {
                     *         "lat": 51.5468,
                     *         "lng": -0.1031,
                     *         "radiusKm": 15
                     *       },
                     *       "yearsExperience": 15,
                     *       "verified": true,
                     *       "verificationStatus": "verified",
                     *       "rating": {
                     *         "average": 4.8,
                     *         "count": 37
                     *       },
                     *       "availability": {
                     *         "timezone": "Europe/London",
                     *         "weekly": [
                     *           {
                     *             "day": 1,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 2,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 3,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 4,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 5,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           }
                     *         ],
                     *         "exceptions": [
                     *           {
                     *             "date": "2026-12-24",
                     *             "available": false
                     *           },
                     *           {
                     *             "date": "2026-12-27",
                     *             "available": true,
                     *             "start": "10:00",
                     *             "end": "14:00"
                     *           }
                     *         ]
                     *       },
                     *       "createdAt": "2026-01-12T10:03:44.120Z",
                     *       "updatedAt": "2026-02-28T18:22:09.467Z"
                     *     }
                     */
                    "application/json": components["schemas"]["ContractorProfile"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setMyContractorProfile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "headline": "Certified electrician: rewiring, lighting and fuse boards",
                 *       "bio": "Fifteen years of domestic and small commercial work across north London. NICEIC registered, fully insured, tidy.",
                 *       "categorySlugs": [
                 *         "electrician"
                 *       ],
                 *       "hourlyRate": {
                 *         "amount": 6500,
                 *         "currency": "gbp"
                 *       },
                 *       "serviceArea": {
                 *         "lat": 51.5468,
                 *         "lng": -0.1031,
                 *         "radiusKm": 15
                 *       },
                 *       "yearsExperience": 15
                 *     }
                 */
                "application/json": components["schemas"]["ContractorProfileInput"];
            };
        };
        responses: {
            /** @description The saved profile */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *       "name": "Tom Baker",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
                     *       "headline": "Certified electrician: rewiring, lighting and fuse boards",
                     *       "bio": "Fifteen years of domestic and small commercial work across north London. NICEIC registered, fully insured, tidy.",
                     *       "categorySlugs": [
                     *         "electrician"
                     *       ],
                     *       "hourlyRate": {
                     *         "amount": 6500,
                     *         "currency": "gbp"
                     *       },
                     *       "serviceArea": {
                     *         "lat": 51.5468,
                     *         "lng": -0.1031,
                     *         "radiusKm": 15
                     *       },
                     *       "yearsExperience": 15,
                     *       "verified": true,
                     *       "verificationStatus": "verified",
                     *       "rating": {
                     *         "average": 4.8,
                     *         "count": 37
                     *       },
                     *       "availability": {
                     *         "timezone": "Europe/London",
                     *         "weekly": [
                     *           {
                     *             "day": 1,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 2,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 3,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 4,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 5,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           }
                     *         ],
                     *         "exceptions": [
                     *           {
                     *             "date": "2026-12-24",
                     *             "available": false
                     *           },
                     *           {
                     *             "date": "2026-12-27",
                     *             "available": true,
                     *             "start": "10:00",
                     *             "end": "14:00"
                     *           }
                     *         ]
                     *       },
                     *       "createdAt": "2026-01-12T10:03:44.120Z",
                     *       "updatedAt": "2026-02-28T18:22:09.467Z"
                     *     }
                     */
                    "application/json": components["schemas"]["ContractorProfile"];
                };
            };
            /** @description `catalog.unknown_category`: No such service category; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMyContractorAvailability: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The availability */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "timezone": "Europe/London",
                     *       "weekly": [
                     *         {
                     *           "day": 1,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 2,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 3,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 4,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 5,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         }
                     *       ],
                     *       "exceptions": [
                     *         {
                     *           "date": "2026-12-24",
                     *           "available": false
                     *         },
                     *         {
                     *           "date": "2026-12-27",
                     *           "available": true,
                     *           "start": "10:00",
                     *           "end": "14:00"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Availability"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setMyContractorAvailability: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "timezone": "Europe/London",
                 *       "weekly": [
                 *         {
                 *           "day": 1,
                 *           "start": "08:00",
                 *           "end": "17:00"
                 *         },
                 *         {
                 *           "day": 2,
                 *           "start": "08:00",
                 *           "end": "17:00"
                 *         },
                 *         {
                 *           "day": 3,
                 *           "start": "08:00",
                 *           "end": "17:00"
                 *         },
                 *         {
                 *           "day": 4,
                 *           "start": "08:00",
                 *           "end": "17:00"
                 *         },
                 *         {
                 *           "day": 5,
                 *           "start": "08:00",
                 *           "end": "17:00"
                 *         }
                 *       ],
                 *       "exceptions": [
                 *         {
                 *           "date": "2026-12-24",
                 *           "available": false
                 *         },
                 *         {
                 *           "date": "2026-12-27",
                 *           "available": true,
                 *           "start": "10:00",
                 *           "end": "14:00"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @description IANA time zone the hours are given in, e.g. Europe/London */
                    timezone: string;
                    weekly: {
                        /** @description 0 = Sunday … 6 = Saturday */
                        day: number;
                        start: string;
                        /** @description Exclusive; 24:00 is the end of the day */
                        end: string;
                    }[];
                    exceptions?: {
                        /**
                         * Format: date
                         * @example 2026-12-24
                         */
                        date: string;
                        available: boolean;
                        start?: string;
                        /** @description Exclusive; 24:00 is the end of the day */
                        end?: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description The saved availability */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "timezone": "Europe/London",
                     *       "weekly": [
                     *         {
                     *           "day": 1,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 2,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 3,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 4,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         },
                     *         {
                     *           "day": 5,
                     *           "start": "08:00",
                     *           "end": "17:00"
                     *         }
                     *       ],
                     *       "exceptions": [
                     *         {
                     *           "date": "2026-12-24",
                     *           "available": false
                     *         },
                     *         {
                     *           "date": "2026-12-27",
                     *           "available": true,
                     *           "start": "10:00",
                     *           "end": "14:00"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Availability"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMyCustomerProfile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The customer profile */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "defaultAddress": "14 Elm Grove, London N7 8QP",
                     *       "location": {
                     *         "lat": 51.5532,
                     *         "lng": -0.1167
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CustomerProfile"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setMyCustomerProfile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "defaultAddress": "14 Elm Grove, London N7 8QP",
                 *       "location": {
                 *         "lat": 51.5532,
                 *         "lng": -0.1167
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["CustomerProfileInput"];
            };
        };
        responses: {
            /** @description The customer profile */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "defaultAddress": "14 Elm Grove, London N7 8QP",
                     *       "location": {
                     *         "lat": 51.5532,
                     *         "lng": -0.1167
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CustomerProfile"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMyContractorPortfolio: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The items */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
                     *           "title": "Kitchen rewire and LED downlights",
                     *           "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                     *           "position": 0,
                     *           "images": [
                     *             {
                     *               "id": "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
                     *               "width": 2048,
                     *               "height": 1536
                     *             },
                     *             {
                     *               "id": "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
                     *               "width": 1536,
                     *               "height": 2048
                     *             }
                     *           ],
                     *           "createdAt": "2026-02-03T14:27:51.002Z",
                     *           "updatedAt": "2026-02-03T14:27:51.002Z"
                     *         },
                     *         {
                     *           "id": "0192e7b5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "title": "Garden lighting",
                     *           "description": null,
                     *           "position": 1,
                     *           "images": [],
                     *           "createdAt": "2026-02-05T11:02:13.845Z",
                     *           "updatedAt": "2026-02-05T11:02:13.845Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["PortfolioItemList"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createMyContractorPortfolio: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Kitchen rewire and LED downlights",
                 *       "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                 *       "fileIds": [
                 *         "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                 *         "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["PortfolioItemInput"];
            };
        };
        responses: {
            /** @description The new item */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
                     *       "title": "Kitchen rewire and LED downlights",
                     *       "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                     *       "position": 0,
                     *       "images": [
                     *         {
                     *           "id": "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                     *           "url": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
                     *           "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
                     *           "width": 2048,
                     *           "height": 1536
                     *         },
                     *         {
                     *           "id": "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *           "url": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
                     *           "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
                     *           "width": 1536,
                     *           "height": 2048
                     *         }
                     *       ],
                     *       "createdAt": "2026-02-03T14:27:51.002Z",
                     *       "updatedAt": "2026-02-03T14:27:51.002Z"
                     *     }
                     */
                    "application/json": components["schemas"]["PortfolioItem"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile); `file.already_attached`: This file is already used elsewhere; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setMyContractorPortfolioOrder: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "itemIds": [
                 *         "0192e7b5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                 *         "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["PortfolioOrder"];
            };
        };
        responses: {
            /** @description The items in their new order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192e7b5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "title": "Garden lighting",
                     *           "description": null,
                     *           "position": 0,
                     *           "images": [],
                     *           "createdAt": "2026-02-05T11:02:13.845Z",
                     *           "updatedAt": "2026-02-05T11:02:13.845Z"
                     *         },
                     *         {
                     *           "id": "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
                     *           "title": "Kitchen rewire and LED downlights",
                     *           "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                     *           "position": 1,
                     *           "images": [
                     *             {
                     *               "id": "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
                     *               "width": 2048,
                     *               "height": 1536
                     *             },
                     *             {
                     *               "id": "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
                     *               "width": 1536,
                     *               "height": 2048
                     *             }
                     *           ],
                     *           "createdAt": "2026-02-03T14:27:51.002Z",
                     *           "updatedAt": "2026-02-03T14:27:51.002Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["PortfolioItemList"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteMyContractorPortfolioItem: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; the items after it move up one place */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `portfolio.not_found`: No such portfolio item */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateMyContractorPortfolioItem: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Kitchen rewire, LED downlights and under-cabinet strips",
                 *       "fileIds": [
                 *         "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                 *         "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["PortfolioItemUpdate"];
            };
        };
        responses: {
            /** @description The updated item */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
                     *       "title": "Kitchen rewire, LED downlights and under-cabinet strips",
                     *       "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                     *       "position": 0,
                     *       "images": [
                     *         {
                     *           "id": "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *           "url": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
                     *           "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
                     *           "width": 1536,
                     *           "height": 2048
                     *         },
                     *         {
                     *           "id": "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                     *           "url": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
                     *           "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
                     *           "width": 2048,
                     *           "height": 1536
                     *         }
                     *       ],
                     *       "createdAt": "2026-02-03T14:27:51.002Z",
                     *       "updatedAt": "2026-02-10T08:12:40.377Z"
                     *     }
                     */
                    "application/json": components["schemas"]["PortfolioItem"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `portfolio.not_found`: No such portfolio item; `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile); `file.already_attached`: This file is already used elsewhere */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMyContractorVerification: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Status and requests */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "pending",
                     *       "requests": [
                     *         {
                     *           "id": "0192e8f0-2a4b-7c6d-9e8f-0a1b2c3d4e5f",
                     *           "status": "pending",
                     *           "note": "NICEIC registration and public liability insurance attached.",
                     *           "documents": [
                     *             {
                     *               "id": "0192e8ef-6b7c-7d8e-af01-23456789abcd",
                     *               "contentType": "application/pdf",
                     *               "size": 402118,
                     *               "url": "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
                     *               "urlExpiresAt": "2026-03-02T09:25:00.000Z",
                     *               "thumbnailUrl": null,
                     *               "originalName": "electrical-licence.pdf"
                     *             }
                     *           ],
                     *           "reason": null,
                     *           "createdAt": "2026-02-27T16:42:30.551Z",
                     *           "decidedAt": null
                     *         },
                     *         {
                     *           "id": "0192d4b1-9c8d-7e6f-a5b4-c3d2e1f0a9b8",
                     *           "status": "rejected",
                     *           "note": null,
                     *           "documents": [],
                     *           "reason": "The licence photo is unreadable; please upload a clearer scan.",
                     *           "createdAt": "2026-02-20T12:05:17.230Z",
                     *           "decidedAt": "2026-02-21T09:31:02.118Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["OwnVerification"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createMyContractorVerification: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "fileIds": [
                 *         "0192e8ef-6b7c-7d8e-af01-23456789abcd"
                 *       ],
                 *       "note": "NICEIC registration and public liability insurance attached."
                 *     }
                 */
                "application/json": components["schemas"]["VerificationRequestInput"];
            };
        };
        responses: {
            /** @description The pending request */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e8f0-2a4b-7c6d-9e8f-0a1b2c3d4e5f",
                     *       "status": "pending",
                     *       "note": "NICEIC registration and public liability insurance attached.",
                     *       "documents": [
                     *         {
                     *           "id": "0192e8ef-6b7c-7d8e-af01-23456789abcd",
                     *           "contentType": "application/pdf",
                     *           "size": 402118,
                     *           "url": "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
                     *           "urlExpiresAt": "2026-03-02T09:25:00.000Z",
                     *           "thumbnailUrl": null,
                     *           "originalName": "electrical-licence.pdf"
                     *         }
                     *       ],
                     *       "reason": null,
                     *       "createdAt": "2026-02-27T16:42:30.551Z",
                     *       "decidedAt": null
                     *     }
                     */
                    "application/json": components["schemas"]["VerificationRequest"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile); `verification.already_pending`: A verification request is already waiting for a decision; `verification.already_verified`: This contractor is already verified; `file.already_attached`: This file is already used elsewhere */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listContractors: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Category slug (see GET /categories) */
                category?: string;
                /** @description Latitude of the place the work is needed; give lng with it */
                lat?: number;
                /** @description Longitude of the place the work is needed; give lat with it */
                lng?: number;
                /** @description Only contractors based within this many km of lat/lng */
                radiusKm?: number;
                /** @description Words in the name, headline or bio; web-search syntax ("quoted phrase", -word, or) */
                q?: string;
                minRating?: number;
                /** @description In minor units. With `currency`, compared within that currency; without it, against each contractor's own amount (a marketplace in one currency needs no more) */
                maxHourlyRate?: number;
                /** @description Only contractors charging in this currency (ISO 4217, e.g. gbp) */
                currency?: string;
                /** @description Only contractors whose hours, in their own time zone, include this instant */
                availableAt?: string;
                verifiedOnly?: "0" | "1" | "true" | "false";
                /** @description Default: distance when lat/lng are given, else rating */
                sort?: "distance" | "rating" | "price";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of contractors */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *           "name": "Tom Baker",
                     *           "headline": "Certified electrician: rewiring, lighting and fuse boards",
                     *           "categorySlugs": [
                     *             "electrician"
                     *           ],
                     *           "hourlyRate": {
                     *             "amount": 6500,
                     *             "currency": "gbp"
                     *           },
                     *           "rating": {
                     *             "average": 4.8,
                     *             "count": 37
                     *           },
                     *           "distanceKm": 1.2,
                     *           "verified": true,
                     *           "avatarUrl": "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg"
                     *         },
                     *         {
                     *           "id": "0192d9c2-7e4f-7a18-9b2c-3d4e5f6a7b8c",
                     *           "name": "Priya Shah",
                     *           "headline": "Electrician and smart-home installer",
                     *           "categorySlugs": [
                     *             "electrician",
                     *             "handyman"
                     *           ],
                     *           "hourlyRate": {
                     *             "amount": 5500,
                     *             "currency": "gbp"
                     *           },
                     *           "rating": {
                     *             "average": 4.6,
                     *             "count": 12
                     *           },
                     *           "distanceKm": 3.4,
                     *           "verified": false,
                     *           "avatarUrl": null
                     *         }
                     *       ],
                     *       "nextCursor": "WyJxM0Zwa2VXN2JZc0lHVnV4bUZ6Yy1BIiwzLjQsIjAxOTJkOWMyLTdlNGYtN2ExOC05YjJjLTNkNGU1ZjZhN2I4YyJd"
                     *     }
                     */
                    "application/json": components["schemas"]["ContractorSearchPage"];
                };
            };
            /** @description `catalog.unknown_category`: No such service category; `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getContractor: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *       "name": "Tom Baker",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
                     *       "headline": "Certified electrician: rewiring, lighting and fuse boards",
                     *       "bio": "Fifteen years of domestic and small commercial work across north London. NICEIC registered, fully insured, tidy.",
                     *       "categorySlugs": [
                     *         "electrician"
                     *       ],
                     *       "hourlyRate": {
                     *         "amount": 6500,
                     *         "currency": "gbp"
                     *       },
                     *       "yearsExperience": 15,
                     *       "verified": true,
                     *       "rating": {
                     *         "average": 4.8,
                     *         "count": 37
                     *       },
                     *       "serviceArea": {
                     *         "lat": 51.55,
                     *         "lng": -0.1,
                     *         "radiusKm": 15
                     *       },
                     *       "portfolio": [
                     *         {
                     *           "id": "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
                     *           "title": "Kitchen rewire and LED downlights",
                     *           "description": "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
                     *           "position": 0,
                     *           "images": [
                     *             {
                     *               "id": "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
                     *               "width": 2048,
                     *               "height": 1536
                     *             },
                     *             {
                     *               "id": "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                     *               "url": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
                     *               "thumbnailUrl": "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
                     *               "width": 1536,
                     *               "height": 2048
                     *             }
                     *           ],
                     *           "createdAt": "2026-02-03T14:27:51.002Z",
                     *           "updatedAt": "2026-02-03T14:27:51.002Z"
                     *         }
                     *       ],
                     *       "availability": {
                     *         "timezone": "Europe/London",
                     *         "availableNow": false,
                     *         "nextAvailableAt": "2026-03-03T08:00:00.000Z",
                     *         "weekly": [
                     *           {
                     *             "day": 1,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 2,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 3,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 4,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           },
                     *           {
                     *             "day": 5,
                     *             "start": "08:00",
                     *             "end": "17:00"
                     *           }
                     *         ]
                     *       },
                     *       "contact": null,
                     *       "memberSince": "2026-01-12T10:03:44.120Z"
                     *     }
                     */
                    "application/json": components["schemas"]["PublicContractor"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.not_found`: No such contractor */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listBookings: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Only these statuses: repeat the parameter or separate by commas */
                status?: components["schemas"]["BookingStatus"][];
                /** @description Only bookings where you are this party */
                role?: "customer" | "contractor";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of bookings */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *           "status": "accepted",
                     *           "customer": {
                     *             "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *             "name": "Alice Brown"
                     *           },
                     *           "contractor": {
                     *             "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *             "name": "Priya Patel"
                     *           },
                     *           "categorySlug": "electrician",
                     *           "description": "Replace the fuse board and add two sockets in the kitchen",
                     *           "scheduledStart": "2026-12-07T09:00:00Z",
                     *           "scheduledEnd": "2026-12-07T13:00:00Z",
                     *           "location": {
                     *             "lat": 51.5238,
                     *             "lng": -0.1586,
                     *             "address": "221B Baker Street, London NW1 6XE"
                     *           },
                     *           "price": {
                     *             "amount": 24000,
                     *             "currency": "gbp"
                     *           },
                     *           "commission": null,
                     *           "contractorAmount": null,
                     *           "refundAmount": null,
                     *           "disputeReason": null,
                     *           "disputeResponse": null,
                     *           "createdAt": "2026-12-01T10:15:00.000Z",
                     *           "updatedAt": "2026-12-01T11:02:00.000Z",
                     *           "history": [
                     *             {
                     *               "status": "requested",
                     *               "from": null,
                     *               "at": "2026-12-01T10:15:00.000Z",
                     *               "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "accepted",
                     *               "from": "requested",
                     *               "at": "2026-12-01T11:02:00.000Z",
                     *               "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *               "note": null
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": {
                        items: components["schemas"]["Booking"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBooking: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "contractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                 *       "categorySlug": "electrician",
                 *       "description": "Replace the fuse board and add two sockets in the kitchen",
                 *       "scheduledStart": "2026-12-07T09:00:00Z",
                 *       "scheduledEnd": "2026-12-07T13:00:00Z",
                 *       "location": {
                 *         "lat": 51.5238,
                 *         "lng": -0.1586,
                 *         "address": "221B Baker Street, London NW1 6XE"
                 *       },
                 *       "price": {
                 *         "amount": 24000,
                 *         "currency": "gbp"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["BookingRequestInput"];
            };
        };
        responses: {
            /** @description The requested booking */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "requested",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": null,
                     *       "contractorAmount": null,
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-01T10:15:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.contractor_not_found`: No such contractor */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.contractor_unavailable`: This contractor cannot be booked at the moment; `booking.category_not_offered`: The contractor does not offer this service category; `booking.outside_availability`: The requested time is outside the contractor's availability */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "funded",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-01T11:20:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         }
                     *       ],
                     *       "customerRating": {
                     *         "average": 4.5,
                     *         "count": 2
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    acceptBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "accepted",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": null,
                     *       "contractorAmount": null,
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-01T11:02:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    declineBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "declined",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": null,
                     *       "contractorAmount": null,
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-01T11:02:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "declined",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    startBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "in_progress",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-07T09:03:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    completeBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "completed",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-07T12:41:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    confirmBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "released",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-07T18:00:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "released",
                     *           "from": "completed",
                     *           "at": "2026-12-07T18:00:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "cancelled",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": {
                     *         "amount": 12000,
                     *         "currency": "gbp"
                     *       },
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-06T20:00:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "cancelled",
                     *           "from": "funded",
                     *           "at": "2026-12-06T20:00:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    disputeBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "reason": "The new sockets do not work"
                 *     }
                 */
                "application/json": components["schemas"]["DisputeInput"];
            };
        };
        responses: {
            /** @description The disputed booking */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "disputed",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": "The new sockets do not work",
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-07T19:30:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "disputed",
                     *           "from": "completed",
                     *           "at": "2026-12-07T19:30:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": "The new sockets do not work"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBookingDisputeResponse: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge."
                 *     }
                 */
                "application/json": components["schemas"]["DisputeResponseInput"];
            };
        };
        responses: {
            /** @description The booking with the contractor's statement */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "disputed",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": "The new sockets do not work",
                     *       "disputeResponse": {
                     *         "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.",
                     *         "at": "2026-12-08T08:10:00.000Z"
                     *       },
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-08T08:10:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "disputed",
                     *           "from": "completed",
                     *           "at": "2026-12-07T19:30:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": "The new sockets do not work"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.action_not_allowed`: Your side of the booking may not take this action; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action; `booking.dispute_response_exists`: The contractor has already stated their side of this dispute */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListAuditLog: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Only what this admin did */
                actorId?: string;
                /** @description One action, e.g. `user.suspend` */
                action?: string;
                /** @description The kind of record acted on, e.g. `user` */
                targetType?: string;
                /** @description One record; usually given with `targetType` */
                targetId?: string;
                /** @description Entries at or after this instant */
                from?: string;
                /** @description Entries before this instant */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of audit entries */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "019ad3c4-5e6f-7a81-9b2c-3d4e5f6a7b8c",
                     *           "actor": {
                     *             "id": "0192e6d1-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *             "name": "Administrator",
                     *             "email": "admin@jobsphere.example"
                     *           },
                     *           "action": "user.suspend",
                     *           "targetType": "user",
                     *           "targetId": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *           "before": {
                     *             "status": "active"
                     *           },
                     *           "after": {
                     *             "status": "suspended"
                     *           },
                     *           "reason": "Repeated no-shows reported by three customers",
                     *           "at": "2026-11-30T09:14:03.512Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["AuditEntryPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListUsers: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                role?: "customer" | "contractor" | "admin";
                /** @description `deleted`: accounts their owners deleted, shown anonymised ("Deleted user", no contact details); without a status every account is listed */
                status?: "active" | "suspended" | "deleted";
                /** @description Part of the name or email */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *           "email": "maria.lopez@example.com",
                     *           "name": "Maria Lopez",
                     *           "role": "customer",
                     *           "phone": "+14155550123",
                     *           "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *           "emailVerified": true,
                     *           "status": "active",
                     *           "createdAt": "2026-03-02T09:14:27.512Z"
                     *         },
                     *         {
                     *           "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *           "email": "tom.baker@example.com",
                     *           "name": "Tom Baker",
                     *           "role": "contractor",
                     *           "phone": "+447700900123",
                     *           "avatarUrl": "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
                     *           "emailVerified": true,
                     *           "status": "active",
                     *           "createdAt": "2026-01-12T10:01:58.730Z"
                     *         }
                     *       ],
                     *       "nextCursor": "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5MmU2ZDEtM2Y3YS03YzQ1LThiMTItOWEwZTRkNmMyZjE4Il0"
                     *     }
                     */
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminGetUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *       "email": "maria.lopez@example.com",
                     *       "name": "Maria Lopez",
                     *       "role": "customer",
                     *       "phone": "+14155550123",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *       "emailVerified": true,
                     *       "status": "active",
                     *       "createdAt": "2026-03-02T09:14:27.512Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminUpdateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "status": "suspended"
                 *     }
                 */
                "application/json": components["schemas"]["AdminUpdateUser"];
            };
        };
        responses: {
            /** @description The updated user */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *       "email": "maria.lopez@example.com",
                     *       "name": "Maria Lopez",
                     *       "role": "customer",
                     *       "phone": "+14155550123",
                     *       "avatarUrl": "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
                     *       "emailVerified": true,
                     *       "status": "suspended",
                     *       "createdAt": "2026-03-02T09:14:27.512Z"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.not_found`: No such user */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `user.deleted`: The account was deleted by its owner and cannot be changed; `admin.cannot_suspend_self`: Admins cannot suspend themselves */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListVerifications: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                status?: "pending" | "approved" | "rejected";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of requests */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192e8f0-2a4b-7c6d-9e8f-0a1b2c3d4e5f",
                     *           "status": "pending",
                     *           "note": "NICEIC registration and public liability insurance attached.",
                     *           "documents": [
                     *             {
                     *               "id": "0192e8ef-6b7c-7d8e-af01-23456789abcd",
                     *               "contentType": "application/pdf",
                     *               "size": 402118,
                     *               "url": "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
                     *               "urlExpiresAt": "2026-03-02T09:25:00.000Z",
                     *               "thumbnailUrl": null,
                     *               "originalName": "electrical-licence.pdf"
                     *             }
                     *           ],
                     *           "reason": null,
                     *           "createdAt": "2026-02-27T16:42:30.551Z",
                     *           "decidedAt": null,
                     *           "contractor": {
                     *             "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *             "name": "Tom Baker",
                     *             "email": "tom.baker@example.com"
                     *           },
                     *           "decidedBy": null
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["AdminVerificationRequestPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateVerificationDecision: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "decision": "approve"
                 *     }
                 */
                "application/json": components["schemas"]["VerificationDecision"];
            };
        };
        responses: {
            /** @description The decided request */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0192e8f0-2a4b-7c6d-9e8f-0a1b2c3d4e5f",
                     *       "status": "approved",
                     *       "note": "NICEIC registration and public liability insurance attached.",
                     *       "documents": [
                     *         {
                     *           "id": "0192e8ef-6b7c-7d8e-af01-23456789abcd",
                     *           "contentType": "application/pdf",
                     *           "size": 402118,
                     *           "url": "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
                     *           "urlExpiresAt": "2026-03-02T09:25:00.000Z",
                     *           "thumbnailUrl": null,
                     *           "originalName": "electrical-licence.pdf"
                     *         }
                     *       ],
                     *       "reason": null,
                     *       "createdAt": "2026-02-27T16:42:30.551Z",
                     *       "decidedAt": "2026-02-28T10:15:42.006Z",
                     *       "contractor": {
                     *         "id": "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *         "name": "Tom Baker",
                     *         "email": "tom.baker@example.com"
                     *       },
                     *       "decidedBy": "0192c1aa-0b3d-7e21-a4f5-6c7d8e9f0a1b"
                     *     }
                     */
                    "application/json": components["schemas"]["AdminVerificationRequest"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `verification.not_found`: No such verification request */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `verification.already_decided`: This verification request has already been decided */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminGetMetrics: {
        parameters: {
            query?: {
                /** @description Start of the period (inclusive); default: 30 days before `to` */
                from?: string;
                /** @description End of the period (exclusive); default: now */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The figures */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "period": {
                     *         "from": "2026-11-28T00:00:00.000Z",
                     *         "to": "2026-11-30T00:00:00.000Z"
                     *       },
                     *       "users": {
                     *         "byRole": {
                     *           "customer": 1240,
                     *           "contractor": 312,
                     *           "admin": 3
                     *         },
                     *         "byStatus": {
                     *           "active": 1531,
                     *           "suspended": 9,
                     *           "deleted": 15
                     *         },
                     *         "newSignUps": 27
                     *       },
                     *       "openJobs": 84,
                     *       "bookings": {
                     *         "byStatus": {
                     *           "requested": 4,
                     *           "accepted": 3,
                     *           "declined": 1,
                     *           "expired": 0,
                     *           "funded": 5,
                     *           "in_progress": 2,
                     *           "completed": 1,
                     *           "released": 6,
                     *           "disputed": 1,
                     *           "refunded": 0,
                     *           "partially_refunded": 0,
                     *           "cancelled": 2
                     *         },
                     *         "created": 25
                     *       },
                     *       "grossBookingValue": [
                     *         {
                     *           "amount": 312000,
                     *           "currency": "gbp"
                     *         }
                     *       ],
                     *       "commissionEarned": [
                     *         {
                     *           "amount": 27600,
                     *           "currency": "gbp"
                     *         }
                     *       ],
                     *       "moneyHeld": [
                     *         {
                     *           "amount": 188500,
                     *           "currency": "gbp"
                     *         }
                     *       ],
                     *       "pendingVerifications": 6,
                     *       "openDisputes": 3,
                     *       "daily": [
                     *         {
                     *           "date": "2026-11-28",
                     *           "signUps": 12,
                     *           "bookings": 11,
                     *           "grossBookingValue": [
                     *             {
                     *               "amount": 144000,
                     *               "currency": "gbp"
                     *             }
                     *           ],
                     *           "commissionEarned": [
                     *             {
                     *               "amount": 12000,
                     *               "currency": "gbp"
                     *             }
                     *           ]
                     *         },
                     *         {
                     *           "date": "2026-11-29",
                     *           "signUps": 15,
                     *           "bookings": 14,
                     *           "grossBookingValue": [
                     *             {
                     *               "amount": 168000,
                     *               "currency": "gbp"
                     *             }
                     *           ],
                     *           "commissionEarned": [
                     *             {
                     *               "amount": 15600,
                     *               "currency": "gbp"
                     *             }
                     *           ]
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["AdminMetrics"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListBookings: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Only these statuses: repeat the parameter or separate by commas */
                status?: components["schemas"]["BookingStatus"][];
                /** @description Category slug */
                category?: string;
                customerId?: string;
                contractorId?: string;
                /** @description Bookings where this user is either party */
                userId?: string;
                /** @description From this instant (inclusive) */
                from?: string;
                /** @description Up to this instant (exclusive) */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of bookings */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *           "status": "disputed",
                     *           "customer": {
                     *             "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *             "name": "Alice Brown"
                     *           },
                     *           "contractor": {
                     *             "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *             "name": "Priya Patel"
                     *           },
                     *           "categorySlug": "electrician",
                     *           "description": "Replace the fuse board and add two sockets in the kitchen",
                     *           "scheduledStart": "2026-12-07T09:00:00Z",
                     *           "scheduledEnd": "2026-12-07T13:00:00Z",
                     *           "location": {
                     *             "lat": 51.5238,
                     *             "lng": -0.1586,
                     *             "address": "221B Baker Street, London NW1 6XE"
                     *           },
                     *           "price": {
                     *             "amount": 24000,
                     *             "currency": "gbp"
                     *           },
                     *           "commission": {
                     *             "amount": 2400,
                     *             "currency": "gbp"
                     *           },
                     *           "contractorAmount": {
                     *             "amount": 21600,
                     *             "currency": "gbp"
                     *           },
                     *           "refundAmount": null,
                     *           "disputeReason": "The new sockets do not work",
                     *           "disputeResponse": {
                     *             "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.",
                     *             "at": "2026-12-08T08:10:00.000Z"
                     *           },
                     *           "createdAt": "2026-12-01T10:15:00.000Z",
                     *           "updatedAt": "2026-12-08T08:10:00.000Z",
                     *           "history": [
                     *             {
                     *               "status": "requested",
                     *               "from": null,
                     *               "at": "2026-12-01T10:15:00.000Z",
                     *               "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "accepted",
                     *               "from": "requested",
                     *               "at": "2026-12-01T11:02:00.000Z",
                     *               "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "funded",
                     *               "from": "accepted",
                     *               "at": "2026-12-01T11:20:00.000Z",
                     *               "by": "system",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "in_progress",
                     *               "from": "funded",
                     *               "at": "2026-12-07T09:03:00.000Z",
                     *               "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "completed",
                     *               "from": "in_progress",
                     *               "at": "2026-12-07T12:41:00.000Z",
                     *               "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *               "note": null
                     *             },
                     *             {
                     *               "status": "disputed",
                     *               "from": "completed",
                     *               "at": "2026-12-07T19:30:00.000Z",
                     *               "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *               "note": "The new sockets do not work"
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "nextCursor": "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5M2EyYjQtMWMyZC03ZTNmLThhNGItNWM2ZDdlOGY5YTBiIl0"
                     *     }
                     */
                    "application/json": components["schemas"]["AdminBookingPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminGetBooking: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "disputed",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": null,
                     *       "disputeReason": "The new sockets do not work",
                     *       "disputeResponse": {
                     *         "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.",
                     *         "at": "2026-12-08T08:10:00.000Z"
                     *       },
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-08T08:10:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "disputed",
                     *           "from": "completed",
                     *           "at": "2026-12-07T19:30:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": "The new sockets do not work"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListJobs: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                status?: "open" | "assigned" | "cancelled" | "expired";
                /** @description Category slug */
                category?: string;
                customerId?: string;
                /** @description Jobs assigned to this contractor */
                contractorId?: string;
                /** @description Part of the title */
                q?: string;
                /** @description From this instant (inclusive) */
                from?: string;
                /** @description Up to this instant (exclusive) */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of jobs */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *           "customerId": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "title": "Replace a kitchen mixer tap",
                     *           "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *           "categorySlug": "plumber",
                     *           "location": {
                     *             "lat": 51.5238,
                     *             "lng": -0.1586,
                     *             "address": "221B Baker Street, London NW1 6XE"
                     *           },
                     *           "budget": {
                     *             "amount": 12000,
                     *             "currency": "gbp"
                     *           },
                     *           "preferredStart": "2026-12-03T09:00:00.000Z",
                     *           "status": "assigned",
                     *           "attachments": [],
                     *           "expiresAt": "2026-12-14T10:00:00.000Z",
                     *           "assignedContractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "bookingId": "0193a2c0-7d8e-7f9a-8b0c-1d2e3f4a5b6c",
                     *           "quoteCount": 1,
                     *           "createdAt": "2026-11-30T10:00:00.000Z",
                     *           "updatedAt": "2026-11-30T12:10:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5M2EyYjQtMWMyZC03ZTNmLThhNGItNWM2ZDdlOGY5YTBiIl0"
                     *     }
                     */
                    "application/json": components["schemas"]["AdminJobPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminGetJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job and its quotes */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "job": {
                     *         "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *         "customerId": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "title": "Replace a kitchen mixer tap",
                     *         "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *         "categorySlug": "plumber",
                     *         "location": {
                     *           "lat": 51.5238,
                     *           "lng": -0.1586,
                     *           "address": "221B Baker Street, London NW1 6XE"
                     *         },
                     *         "budget": {
                     *           "amount": 12000,
                     *           "currency": "gbp"
                     *         },
                     *         "preferredStart": "2026-12-03T09:00:00.000Z",
                     *         "status": "assigned",
                     *         "attachments": [],
                     *         "expiresAt": "2026-12-14T10:00:00.000Z",
                     *         "assignedContractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "bookingId": "0193a2c0-7d8e-7f9a-8b0c-1d2e3f4a5b6c",
                     *         "quoteCount": 1,
                     *         "createdAt": "2026-11-30T10:00:00.000Z",
                     *         "updatedAt": "2026-11-30T12:10:00.000Z"
                     *       },
                     *       "quotes": [
                     *         {
                     *           "id": "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
                     *           "jobId": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *           "contractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "contractorName": "Priya Patel",
                     *           "price": {
                     *             "amount": 9500,
                     *             "currency": "gbp"
                     *           },
                     *           "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                     *           "proposedStart": "2026-12-03T09:00:00.000Z",
                     *           "status": "accepted",
                     *           "closedReason": null,
                     *           "decidedAt": "2026-11-30T12:10:00.000Z",
                     *           "createdAt": "2026-11-30T11:20:00.000Z",
                     *           "updatedAt": "2026-11-30T12:10:00.000Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["AdminJobDetail"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listJobs: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Customers: only jobs in this state. Contractors see open jobs only (`open` or nothing) */
                status?: "open" | "assigned" | "cancelled" | "expired";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of jobs */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *           "customerId": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "title": "Replace a kitchen mixer tap",
                     *           "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *           "categorySlug": "plumber",
                     *           "location": {
                     *             "lat": 51.5238,
                     *             "lng": -0.1586,
                     *             "address": "221B Baker Street, London NW1 6XE"
                     *           },
                     *           "budget": {
                     *             "amount": 12000,
                     *             "currency": "gbp"
                     *           },
                     *           "preferredStart": "2026-12-03T09:00:00.000Z",
                     *           "status": "open",
                     *           "attachments": [
                     *             {
                     *               "id": "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
                     *               "contentType": "image/jpeg",
                     *               "size": 184233,
                     *               "url": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
                     *               "thumbnailUrl": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d"
                     *             }
                     *           ],
                     *           "expiresAt": "2026-12-14T10:00:00.000Z",
                     *           "assignedContractorId": null,
                     *           "bookingId": null,
                     *           "quoteCount": 2,
                     *           "createdAt": "2026-11-30T10:00:00.000Z",
                     *           "updatedAt": "2026-11-30T10:00:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["JobPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Replace a kitchen mixer tap",
                 *       "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                 *       "categorySlug": "plumber",
                 *       "location": {
                 *         "lat": 51.5238,
                 *         "lng": -0.1586,
                 *         "address": "221B Baker Street, London NW1 6XE"
                 *       },
                 *       "budget": {
                 *         "amount": 12000,
                 *         "currency": "gbp"
                 *       },
                 *       "preferredStart": "2026-12-03T09:00:00.000Z",
                 *       "attachmentFileIds": [
                 *         "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["JobInput"];
            };
        };
        responses: {
            /** @description The new job, open */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "customerId": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *       "title": "Replace a kitchen mixer tap",
                     *       "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *       "categorySlug": "plumber",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "budget": {
                     *         "amount": 12000,
                     *         "currency": "gbp"
                     *       },
                     *       "preferredStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "open",
                     *       "attachments": [
                     *         {
                     *           "id": "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
                     *           "contentType": "image/jpeg",
                     *           "size": 184233,
                     *           "url": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
                     *           "thumbnailUrl": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d"
                     *         }
                     *       ],
                     *       "expiresAt": "2026-12-14T10:00:00.000Z",
                     *       "assignedContractorId": null,
                     *       "bookingId": null,
                     *       "quoteCount": 0,
                     *       "createdAt": "2026-11-30T10:00:00.000Z",
                     *       "updatedAt": "2026-11-30T10:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description `catalog.unknown_category`: No such service category; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.already_attached`: This file is already used elsewhere; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "customerId": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *       "title": "Replace a kitchen mixer tap",
                     *       "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *       "categorySlug": "plumber",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "budget": {
                     *         "amount": 12000,
                     *         "currency": "gbp"
                     *       },
                     *       "preferredStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "open",
                     *       "attachments": [
                     *         {
                     *           "id": "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
                     *           "contentType": "image/jpeg",
                     *           "size": 184233,
                     *           "url": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
                     *           "thumbnailUrl": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d"
                     *         }
                     *       ],
                     *       "expiresAt": "2026-12-14T10:00:00.000Z",
                     *       "assignedContractorId": null,
                     *       "bookingId": null,
                     *       "quoteCount": 2,
                     *       "createdAt": "2026-11-30T10:00:00.000Z",
                     *       "updatedAt": "2026-11-30T10:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "budget": {
                 *         "amount": 15000,
                 *         "currency": "gbp"
                 *       },
                 *       "preferredStart": null
                 *     }
                 */
                "application/json": components["schemas"]["JobUpdate"];
            };
        };
        responses: {
            /** @description The changed job */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "customerId": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *       "title": "Replace a kitchen mixer tap",
                     *       "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *       "categorySlug": "plumber",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "budget": {
                     *         "amount": 15000,
                     *         "currency": "gbp"
                     *       },
                     *       "preferredStart": null,
                     *       "status": "open",
                     *       "attachments": [
                     *         {
                     *           "id": "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
                     *           "contentType": "image/jpeg",
                     *           "size": 184233,
                     *           "url": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
                     *           "thumbnailUrl": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d"
                     *         }
                     *       ],
                     *       "expiresAt": "2026-12-14T10:00:00.000Z",
                     *       "assignedContractorId": null,
                     *       "bookingId": null,
                     *       "quoteCount": 2,
                     *       "createdAt": "2026-11-30T10:00:00.000Z",
                     *       "updatedAt": "2026-11-30T10:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description `catalog.unknown_category`: No such service category; `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job; `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.invalid_state`: The job is not open (its state is named in the detail); `file.already_attached`: This file is already used elsewhere */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The cancelled job */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "customerId": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *       "title": "Replace a kitchen mixer tap",
                     *       "description": "The old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *       "categorySlug": "plumber",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "budget": {
                     *         "amount": 12000,
                     *         "currency": "gbp"
                     *       },
                     *       "preferredStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "cancelled",
                     *       "attachments": [
                     *         {
                     *           "id": "01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
                     *           "contentType": "image/jpeg",
                     *           "size": 184233,
                     *           "url": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.jpg?expires=1764500000&signature=2f9c",
                     *           "thumbnailUrl": "https://api.example.com/storage/private/01963a4e-2b3c-7d4e-8f5a-6b7c8d9e0f1a.thumb.webp?expires=1764500000&signature=8a1d"
                     *         }
                     *       ],
                     *       "expiresAt": "2026-12-14T10:00:00.000Z",
                     *       "assignedContractorId": null,
                     *       "bookingId": null,
                     *       "quoteCount": 2,
                     *       "createdAt": "2026-11-30T10:00:00.000Z",
                     *       "updatedAt": "2026-11-30T10:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.invalid_state`: The job is not open (its state is named in the detail) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listJobQuotes: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of quotes */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
                     *           "jobId": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *           "contractorId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *           "contractorName": "Tom Walker",
                     *           "price": {
                     *             "amount": 9500,
                     *             "currency": "gbp"
                     *           },
                     *           "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                     *           "proposedStart": "2026-12-03T09:00:00.000Z",
                     *           "status": "pending",
                     *           "closedReason": null,
                     *           "decidedAt": null,
                     *           "createdAt": "2026-11-30T11:20:00.000Z",
                     *           "updatedAt": "2026-11-30T11:20:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["QuotePage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createJobQuote: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "price": {
                 *         "amount": 9500,
                 *         "currency": "gbp"
                 *       },
                 *       "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                 *       "proposedStart": "2026-12-03T09:00:00.000Z"
                 *     }
                 */
                "application/json": components["schemas"]["QuoteInput"];
            };
        };
        responses: {
            /** @description The quote, pending */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
                     *       "jobId": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "contractorId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *       "contractorName": "Tom Walker",
                     *       "price": {
                     *         "amount": 9500,
                     *         "currency": "gbp"
                     *       },
                     *       "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                     *       "proposedStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "pending",
                     *       "closedReason": null,
                     *       "decidedAt": null,
                     *       "createdAt": "2026-11-30T11:20:00.000Z",
                     *       "updatedAt": "2026-11-30T11:20:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Quote"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `contractor.profile_missing`: Create the contractor profile first (PUT /contractors/me/profile); `job.invalid_state`: The job is not open (its state is named in the detail); `quote.already_exists`: You have already quoted for this job; edit that quote instead; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateJobQuote: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                quoteId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "price": {
                 *         "amount": 9000,
                 *         "currency": "gbp"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["QuoteUpdate"];
            };
        };
        responses: {
            /** @description The changed quote */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
                     *       "jobId": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "contractorId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *       "contractorName": "Tom Walker",
                     *       "price": {
                     *         "amount": 9000,
                     *         "currency": "gbp"
                     *       },
                     *       "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                     *       "proposedStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "pending",
                     *       "closedReason": null,
                     *       "decidedAt": null,
                     *       "createdAt": "2026-11-30T11:20:00.000Z",
                     *       "updatedAt": "2026-11-30T11:20:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Quote"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `quote.not_found`: No such quote */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.invalid_state`: The job is not open (its state is named in the detail); `quote.invalid_state`: The quote is no longer pending (its state is named in the detail) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createJobQuoteWithdraw: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                quoteId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The withdrawn quote */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a4f-0c1d-7e2f-8a3b-4c5d6e7f8a9b",
                     *       "jobId": "01963a4e-8f3c-7b2a-9d41-5e6f7a8b9c0d",
                     *       "contractorId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *       "contractorName": "Tom Walker",
                     *       "price": {
                     *         "amount": 9500,
                     *         "currency": "gbp"
                     *       },
                     *       "message": "I can fit it on Wednesday morning; about an hour's work, old tap taken away.",
                     *       "proposedStart": "2026-12-03T09:00:00.000Z",
                     *       "status": "withdrawn",
                     *       "closedReason": null,
                     *       "decidedAt": "2026-11-30T12:00:00.000Z",
                     *       "createdAt": "2026-11-30T11:20:00.000Z",
                     *       "updatedAt": "2026-11-30T11:20:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Quote"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `quote.not_found`: No such quote */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.invalid_state`: The job is not open (its state is named in the detail); `quote.invalid_state`: The quote is no longer pending (its state is named in the detail) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    acceptJobQuote: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
                quoteId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The booking, accepted */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963a50-7e8f-7a9b-8c0d-1e2f3a4b5c6d",
                     *       "status": "accepted",
                     *       "customer": {
                     *         "id": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *         "name": "Tom Walker"
                     *       },
                     *       "categorySlug": "plumber",
                     *       "description": "Replace a kitchen mixer tap\n\nThe old tap drips; the new one is bought and waiting. Under-sink access is easy.",
                     *       "scheduledStart": "2026-12-03T09:00:00.000Z",
                     *       "scheduledEnd": null,
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 9500,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": null,
                     *       "contractorAmount": null,
                     *       "refundAmount": null,
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-11-30T12:30:00.000Z",
                     *       "updatedAt": "2026-11-30T12:30:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "accepted",
                     *           "from": null,
                     *           "at": "2026-11-30T12:30:00.000Z",
                     *           "by": "01963a4e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "note": "quote accepted"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.not_found`: No such job; `quote.not_found`: No such quote */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `job.invalid_state`: The job is not open (its state is named in the detail); `quote.invalid_state`: The quote is no longer pending (its state is named in the detail); `job.start_missing`: Neither the quote nor the job names a start time; `job.start_passed`: The start the booking would have has passed; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListTransactions: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                bookingId?: string;
                /** @description Only transactions with an entry on this account */
                account?: string;
                kind?: string;
                /** @description Only transactions recorded at or after this instant (ISO 8601) */
                from?: string;
                /** @description Only transactions recorded before this instant (ISO 8601) */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of transactions */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0192e7a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
                     *           "key": "release:0192e6f0-4a1b-7c2d-8e3f-4a5b6c7d8e9f",
                     *           "kind": "release",
                     *           "currency": "usd",
                     *           "bookingId": "0192e6f0-4a1b-7c2d-8e3f-4a5b6c7d8e9f",
                     *           "withdrawalId": null,
                     *           "memo": null,
                     *           "createdAt": "2026-03-14T16:20:05.112Z",
                     *           "entries": [
                     *             {
                     *               "account": "customer_funds_held",
                     *               "amount": 12500
                     *             },
                     *             {
                     *               "account": "platform_commission",
                     *               "amount": -1250
                     *             },
                     *             {
                     *               "account": "contractor_payable:0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *               "amount": -11250
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "nextCursor": "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5MmU3YTAtMWIyYy03ZDNlLThmNDAtNWE2YjdjOGQ5ZTBmIl0"
                     *     }
                     */
                    "application/json": components["schemas"]["LedgerTransactionPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListLedgerBalances: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Only accounts whose name starts with this, e.g. `contractor_payable:` */
                accountPrefix?: string;
                currency?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of balances */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "account": "contractor_payable:0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *           "currency": "usd",
                     *           "balance": -11250
                     *         },
                     *         {
                     *           "account": "contractor_transferred:0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
                     *           "currency": "usd",
                     *           "balance": 11250
                     *         },
                     *         {
                     *           "account": "platform_cash",
                     *           "currency": "usd",
                     *           "balance": 1250
                     *         },
                     *         {
                     *           "account": "platform_commission",
                     *           "currency": "usd",
                     *           "balance": -1250
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["LedgerBalancePage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listConversations: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Admins only: the conversations this user takes part in */
                participantId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of conversations */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *           "customer": {
                     *             "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *             "name": "Maria Lopez",
                     *             "avatarUrl": null
                     *           },
                     *           "contractor": {
                     *             "id": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *             "name": "Tom Walker",
                     *             "avatarUrl": "https://api.example.com/storage/public/01963a41-6e7f-7a8b-9c0d-1e2f3a4b5c6d.jpg"
                     *           },
                     *           "bookings": [
                     *             {
                     *               "id": "01963b00-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *               "status": "accepted",
                     *               "scheduledStart": "2026-12-03T09:00:00.000Z"
                     *             }
                     *           ],
                     *           "lastMessage": {
                     *             "id": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *             "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *             "senderId": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *             "text": "Hi Tom, here is the leaking joint under the sink.",
                     *             "attachments": [
                     *               {
                     *                 "id": "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
                     *                 "contentType": "image/jpeg",
                     *                 "size": 201733,
                     *                 "url": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
                     *                 "thumbnailUrl": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
                     *                 "originalName": "sink.jpg"
                     *               }
                     *             ],
                     *             "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
                     *             "createdAt": "2026-11-30T10:15:00.000Z"
                     *           },
                     *           "unreadCount": 2,
                     *           "otherReadUpToMessageId": null,
                     *           "createdAt": "2026-11-29T16:02:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createConversation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "participantId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c"
                 *     }
                 */
                "application/json": components["schemas"]["ConversationInput"];
            };
        };
        responses: {
            /** @description The pair's conversation */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *       "customer": {
                     *         "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "name": "Maria Lopez",
                     *         "avatarUrl": null
                     *       },
                     *       "contractor": {
                     *         "id": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *         "name": "Tom Walker",
                     *         "avatarUrl": "https://api.example.com/storage/public/01963a41-6e7f-7a8b-9c0d-1e2f3a4b5c6d.jpg"
                     *       },
                     *       "bookings": [
                     *         {
                     *           "id": "01963b00-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "status": "accepted",
                     *           "scheduledStart": "2026-12-03T09:00:00.000Z"
                     *         }
                     *       ],
                     *       "lastMessage": {
                     *         "id": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *         "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *         "senderId": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "text": "Hi Tom, here is the leaking joint under the sink.",
                     *         "attachments": [
                     *           {
                     *             "id": "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
                     *             "contentType": "image/jpeg",
                     *             "size": 201733,
                     *             "url": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
                     *             "thumbnailUrl": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
                     *             "originalName": "sink.jpg"
                     *           }
                     *         ],
                     *         "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
                     *         "createdAt": "2026-11-30T10:15:00.000Z"
                     *       },
                     *       "unreadCount": 0,
                     *       "otherReadUpToMessageId": null,
                     *       "createdAt": "2026-11-29T16:02:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.participant_not_found`: No such user to talk to */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.invalid_participant`: A conversation is between one customer and one contractor */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The conversation */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *       "customer": {
                     *         "id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "name": "Maria Lopez",
                     *         "avatarUrl": null
                     *       },
                     *       "contractor": {
                     *         "id": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *         "name": "Tom Walker",
                     *         "avatarUrl": "https://api.example.com/storage/public/01963a41-6e7f-7a8b-9c0d-1e2f3a4b5c6d.jpg"
                     *       },
                     *       "bookings": [
                     *         {
                     *           "id": "01963b00-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                     *           "status": "accepted",
                     *           "scheduledStart": "2026-12-03T09:00:00.000Z"
                     *         }
                     *       ],
                     *       "lastMessage": {
                     *         "id": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *         "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *         "senderId": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *         "text": "Hi Tom, here is the leaking joint under the sink.",
                     *         "attachments": [
                     *           {
                     *             "id": "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
                     *             "contentType": "image/jpeg",
                     *             "size": 201733,
                     *             "url": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
                     *             "thumbnailUrl": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
                     *             "originalName": "sink.jpg"
                     *           }
                     *         ],
                     *         "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
                     *         "createdAt": "2026-11-30T10:15:00.000Z"
                     *       },
                     *       "unreadCount": 2,
                     *       "otherReadUpToMessageId": null,
                     *       "createdAt": "2026-11-29T16:02:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_found`: No such conversation among yours */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listConversationMessages: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Catch-up after a reconnection: only messages after this one, oldest first (follow `nextCursor` for more) */
                after?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of messages */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *           "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *           "senderId": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *           "text": "Hi Tom, here is the leaking joint under the sink.",
                     *           "attachments": [
                     *             {
                     *               "id": "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
                     *               "contentType": "image/jpeg",
                     *               "size": 201733,
                     *               "url": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
                     *               "thumbnailUrl": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
                     *               "originalName": "sink.jpg"
                     *             }
                     *           ],
                     *           "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
                     *           "createdAt": "2026-11-30T10:15:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["MessagePage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_found`: No such conversation among yours; `chat.message_not_found`: No such message in this conversation */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createConversationMessage: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "text": "Hi Tom, here is the leaking joint under the sink.",
                 *       "attachmentFileIds": [
                 *         "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a"
                 *       ],
                 *       "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f"
                 *     }
                 */
                "application/json": components["schemas"]["MessageInput"];
            };
        };
        responses: {
            /** @description The stored message */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *       "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *       "senderId": "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
                     *       "text": "Hi Tom, here is the leaking joint under the sink.",
                     *       "attachments": [
                     *         {
                     *           "id": "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
                     *           "contentType": "image/jpeg",
                     *           "size": 201733,
                     *           "url": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
                     *           "thumbnailUrl": "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
                     *           "originalName": "sink.jpg"
                     *         }
                     *       ],
                     *       "clientMessageId": "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
                     *       "createdAt": "2026-11-30T10:15:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_participant`: Admins read conversations but take no part in them; `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_found`: No such conversation among yours; `file.not_found`: No such file */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.client_message_id_reused`: This clientMessageId already names one of your messages in another conversation; `file.already_attached`: This file is already used elsewhere; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `file.wrong_purpose`: This file was uploaded for another purpose */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.rate_limited`: Too many messages; wait before sending more */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "RateLimit-Limit": components["headers"]["RateLimit-Limit"];
                    "RateLimit-Remaining": components["headers"]["RateLimit-Remaining"];
                    "RateLimit-Reset": components["headers"]["RateLimit-Reset"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "upToMessageId": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b"
                 *     }
                 */
                "application/json": components["schemas"]["ReadReceiptInput"];
            };
        };
        responses: {
            /** @description Your read position */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "conversationId": "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                     *       "userId": "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c",
                     *       "upToMessageId": "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
                     *       "readAt": "2026-11-30T10:16:02.000Z",
                     *       "unreadCount": 0
                     *     }
                     */
                    "application/json": components["schemas"]["ReadReceipt"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_participant`: Admins read conversations but take no part in them; `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `chat.not_found`: No such conversation among yours; `chat.message_not_found`: No such message in this conversation */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBookingReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rating": 5,
                 *       "comment": "Arrived on time, explained the new fuse board and left the kitchen spotless."
                 *     }
                 */
                "application/json": components["schemas"]["ReviewInput"];
            };
        };
        responses: {
            /** @description The review */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "contractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *       "categorySlug": "electrician",
                     *       "rating": 5,
                     *       "comment": "Arrived on time, explained the new fuse board and left the kitchen spotless.",
                     *       "createdAt": "2026-12-07T18:30:00.000Z",
                     *       "editedAt": null,
                     *       "editableUntil": "2026-12-14T18:30:00.000Z",
                     *       "reply": null,
                     *       "hidden": false
                     *     }
                     */
                    "application/json": components["schemas"]["Review"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.wrong_party`: Only the other party of the booking may rate this side of it; `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.booking_not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.booking_not_finished`: The booking cannot be rated until its payment is released; `review.exists`: This booking already has a review */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rating": 4,
                 *       "comment": "Good work; the invoice came a week late."
                 *     }
                 */
                "application/json": components["schemas"]["ReviewChange"];
            };
        };
        responses: {
            /** @description The review after the change */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "contractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *       "categorySlug": "electrician",
                     *       "rating": 4,
                     *       "comment": "Good work; the invoice came a week late.",
                     *       "createdAt": "2026-12-07T18:30:00.000Z",
                     *       "editedAt": "2026-12-09T10:00:00.000Z",
                     *       "editableUntil": "2026-12-14T18:30:00.000Z",
                     *       "reply": null,
                     *       "hidden": false
                     *     }
                     */
                    "application/json": components["schemas"]["Review"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_author`: Only the review's author may change it; `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_found`: No such review */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.edit_window_closed`: The review can no longer be changed; `review.hidden`: The review is hidden by a moderator */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createReviewReply: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "text": "Thank you, Alice: it was a pleasure. Enjoy the new sockets!"
                 *     }
                 */
                "application/json": components["schemas"]["ReviewReplyInput"];
            };
        };
        responses: {
            /** @description The review with its reply */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "contractorId": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *       "categorySlug": "electrician",
                     *       "rating": 5,
                     *       "comment": "Arrived on time, explained the new fuse board and left the kitchen spotless.",
                     *       "createdAt": "2026-12-07T18:30:00.000Z",
                     *       "editedAt": null,
                     *       "editableUntil": "2026-12-14T18:30:00.000Z",
                     *       "reply": {
                     *         "text": "Thank you, Alice: it was a pleasure. Enjoy the new sockets!",
                     *         "createdAt": "2026-12-08T08:05:00.000Z"
                     *       },
                     *       "hidden": false
                     *     }
                     */
                    "application/json": components["schemas"]["Review"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_reviewed_contractor`: Only the reviewed contractor may reply; `auth.account_suspended`: This account is suspended */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_found`: No such review */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.reply_exists`: The review already has a reply; `review.hidden`: The review is hidden by a moderator */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listContractorReviews: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of reviews */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *           "rating": 5,
                     *           "comment": "Arrived on time, explained the new fuse board and left the kitchen spotless.",
                     *           "reviewer": {
                     *             "firstName": "Alice"
                     *           },
                     *           "categorySlug": "electrician",
                     *           "createdAt": "2026-12-07T18:30:00.000Z",
                     *           "editedAt": null,
                     *           "reply": {
                     *             "text": "Thank you, Alice: it was a pleasure. Enjoy the new sockets!",
                     *             "createdAt": "2026-12-08T08:05:00.000Z"
                     *           }
                     *         }
                     *       ],
                     *       "nextCursor": null,
                     *       "rating": {
                     *         "average": 4.67,
                     *         "count": 3,
                     *         "distribution": {
                     *           "1": 0,
                     *           "2": 0,
                     *           "3": 0,
                     *           "4": 1,
                     *           "5": 2
                     *         }
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ContractorReviewsPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.contractor_not_found`: No such contractor */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBookingCustomerRating: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rating": 5,
                 *       "comment": "Clear instructions and the parking was sorted."
                 *     }
                 */
                "application/json": components["schemas"]["CustomerRatingInput"];
            };
        };
        responses: {
            /** @description The rating */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-5e6f-7a81-9b2c-3d4e5f6a7b8c",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "customerId": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *       "rating": 5,
                     *       "comment": "Clear instructions and the parking was sorted.",
                     *       "createdAt": "2026-12-07T19:00:00.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["CustomerRating"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.wrong_party`: Only the other party of the booking may rate this side of it; `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.booking_not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.booking_not_finished`: The booking cannot be rated until its payment is released; `customer_rating.exists`: This booking's customer has already been rated */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCustomerRating: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The customer's rating */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "customerId": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *       "average": 4.5,
                     *       "count": 2
                     *     }
                     */
                    "application/json": components["schemas"]["CustomerRatingSummary"];
                };
            };
            /** @description `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.customer_not_found`: No such customer */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListReviews: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Only visible or only hidden reviews; both by default */
                status?: "visible" | "hidden";
                /** @description Only the reviews of this contractor */
                contractorId?: string;
                /** @description Only the reviews this customer wrote */
                customerId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of reviews */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *           "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *           "categorySlug": "electrician",
                     *           "rating": 1,
                     *           "comment": "Call this number for a cheaper job: 07700 900123",
                     *           "createdAt": "2026-12-07T18:30:00.000Z",
                     *           "editedAt": null,
                     *           "editableUntil": "2026-12-14T18:30:00.000Z",
                     *           "reply": null,
                     *           "hidden": true,
                     *           "customer": {
                     *             "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *             "name": "Alice Brown"
                     *           },
                     *           "contractor": {
                     *             "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *             "name": "Priya Patel"
                     *           },
                     *           "moderation": {
                     *             "hiddenAt": "2026-12-08T09:12:00.000Z",
                     *             "reason": "Advertising in the comment",
                     *             "by": "0192f0a4-7d30-7e5f-a0b1-2c3d4e5f6a71"
                     *           }
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["AdminReviewPage"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateReviewHide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "reason": "Advertising in the comment"
                 *     }
                 */
                "application/json": components["schemas"]["ReviewHideInput"];
            };
        };
        responses: {
            /** @description The hidden review */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "categorySlug": "electrician",
                     *       "rating": 1,
                     *       "comment": "Call this number for a cheaper job: 07700 900123",
                     *       "createdAt": "2026-12-07T18:30:00.000Z",
                     *       "editedAt": null,
                     *       "editableUntil": "2026-12-14T18:30:00.000Z",
                     *       "reply": null,
                     *       "hidden": true,
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "moderation": {
                     *         "hiddenAt": "2026-12-08T09:12:00.000Z",
                     *         "reason": "Advertising in the comment",
                     *         "by": "0192f0a4-7d30-7e5f-a0b1-2c3d4e5f6a71"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["AdminReview"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_found`: No such review */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.already_hidden`: The review is already hidden */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateReviewUnhide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "reason": "The number was the customer's own"
                 *     }
                 */
                "application/json": components["schemas"]["ReviewUnhideInput"];
            };
        };
        responses: {
            /** @description The visible review */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                     *       "bookingId": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "categorySlug": "electrician",
                     *       "rating": 1,
                     *       "comment": "Call this number for a cheaper job: 07700 900123",
                     *       "createdAt": "2026-12-07T18:30:00.000Z",
                     *       "editedAt": null,
                     *       "editableUntil": "2026-12-14T18:30:00.000Z",
                     *       "reply": null,
                     *       "hidden": false,
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "moderation": null
                     *     }
                     */
                    "application/json": components["schemas"]["AdminReview"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_found`: No such review */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `review.not_hidden`: The review is not hidden */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBookingPayment: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "paymentMethodId": "pm_card_visa"
                 *     }
                 */
                "application/json": components["schemas"]["PaymentRequest"];
            };
        };
        responses: {
            /** @description The payment as it stands */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "succeeded",
                     *       "clientSecret": null,
                     *       "paymentIntentId": "pi_3QyZ8bLkdIwHu7ix0h1aBcDe",
                     *       "amount": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Payment"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payment.declined`: The card was declined */
            402: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action; `payment.contractor_not_onboarded`: The contractor cannot receive payments yet (Stripe onboarding is not complete); `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payment.gateway_failed`: The payment processor could not be reached or refused the request; try again */
            502: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createPaymentsConnectOnboarding: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The onboarding link */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "url": "https://connect.stripe.com/setup/e/acct_1QyZ8bLkdIwHu7ix/Jk3s9aQ2"
                     *     }
                     */
                    "application/json": components["schemas"]["ConnectOnboarding"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payment.gateway_failed`: The payment processor could not be reached or refused the request; try again */
            502: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPaymentsConnectStatus: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What your account may do */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "chargesEnabled": true,
                     *       "payoutsEnabled": true,
                     *       "detailsSubmitted": true,
                     *       "transfersEnabled": true
                     *     }
                     */
                    "application/json": components["schemas"]["ConnectStatus"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEarnings: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Default: the currency of your latest paid booking */
                currency?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Balances and entries */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "held": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "available": {
                     *         "amount": 6600,
                     *         "currency": "gbp"
                     *       },
                     *       "paidOut": {
                     *         "amount": 15000,
                     *         "currency": "gbp"
                     *       },
                     *       "entries": [
                     *         {
                     *           "id": "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a3c",
                     *           "transactionId": "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a3d",
                     *           "kind": "withdrawal",
                     *           "account": "contractor_payable:0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "amount": 15000,
                     *           "currency": "gbp",
                     *           "bookingId": null,
                     *           "withdrawalId": "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a2b",
                     *           "memo": "Withdrawal asked",
                     *           "createdAt": "2026-12-09T08:00:00.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["Earnings"];
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listWithdrawals: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of withdrawals */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a2b",
                     *           "status": "in_transit",
                     *           "amount": {
                     *             "amount": 15000,
                     *             "currency": "gbp"
                     *           },
                     *           "failureCode": null,
                     *           "createdAt": "2026-12-09T08:00:00.000Z",
                     *           "updatedAt": "2026-12-09T08:00:01.000Z"
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": {
                        items: components["schemas"]["Withdrawal"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createWithdrawal: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string; a retry with the same key and body replays the first answer */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "amount": {
                 *         "amount": 15000,
                 *         "currency": "gbp"
                 *       }
                 *     }
                 */
                "application/json": {
                    amount: {
                        amount: number;
                        currency: string;
                    };
                };
            };
        };
        responses: {
            /** @description The withdrawal */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a2b",
                     *       "status": "pending",
                     *       "amount": {
                     *         "amount": 15000,
                     *         "currency": "gbp"
                     *       },
                     *       "failureCode": null,
                     *       "createdAt": "2026-12-09T08:00:00.000Z",
                     *       "updatedAt": "2026-12-09T08:00:01.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Withdrawal"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON; `idempotency.invalid_key`: The Idempotency-Key header is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `withdrawal.not_onboarded`: Finish Stripe onboarding before withdrawing; `ledger.key_reused`: The ledger key was already used for a different transaction; `idempotency.key_reused`: The Idempotency-Key was already used with another request; `idempotency.in_progress`: A request with this Idempotency-Key is still being processed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `withdrawal.insufficient_funds`: The amount is more than your available balance */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminListDisputes: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of disputes */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "booking": {
                     *             "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *             "status": "disputed",
                     *             "customer": {
                     *               "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *               "name": "Alice Brown"
                     *             },
                     *             "contractor": {
                     *               "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *               "name": "Priya Patel"
                     *             },
                     *             "categorySlug": "electrician",
                     *             "description": "Replace the fuse board and add two sockets in the kitchen",
                     *             "scheduledStart": "2026-12-07T09:00:00Z",
                     *             "scheduledEnd": "2026-12-07T13:00:00Z",
                     *             "location": {
                     *               "lat": 51.5238,
                     *               "lng": -0.1586,
                     *               "address": "221B Baker Street, London NW1 6XE"
                     *             },
                     *             "price": {
                     *               "amount": 24000,
                     *               "currency": "gbp"
                     *             },
                     *             "commission": {
                     *               "amount": 2400,
                     *               "currency": "gbp"
                     *             },
                     *             "contractorAmount": {
                     *               "amount": 21600,
                     *               "currency": "gbp"
                     *             },
                     *             "refundAmount": null,
                     *             "disputeReason": "The new sockets do not work",
                     *             "disputeResponse": {
                     *               "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.",
                     *               "at": "2026-12-08T08:10:00.000Z"
                     *             },
                     *             "createdAt": "2026-12-01T10:15:00.000Z",
                     *             "updatedAt": "2026-12-08T08:10:00.000Z",
                     *             "history": [
                     *               {
                     *                 "status": "requested",
                     *                 "from": null,
                     *                 "at": "2026-12-01T10:15:00.000Z",
                     *                 "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *                 "note": null
                     *               },
                     *               {
                     *                 "status": "accepted",
                     *                 "from": "requested",
                     *                 "at": "2026-12-01T11:02:00.000Z",
                     *                 "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *                 "note": null
                     *               },
                     *               {
                     *                 "status": "funded",
                     *                 "from": "accepted",
                     *                 "at": "2026-12-01T11:20:00.000Z",
                     *                 "by": "system",
                     *                 "note": null
                     *               },
                     *               {
                     *                 "status": "in_progress",
                     *                 "from": "funded",
                     *                 "at": "2026-12-07T09:03:00.000Z",
                     *                 "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *                 "note": null
                     *               },
                     *               {
                     *                 "status": "completed",
                     *                 "from": "in_progress",
                     *                 "at": "2026-12-07T12:41:00.000Z",
                     *                 "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *                 "note": null
                     *               },
                     *               {
                     *                 "status": "disputed",
                     *                 "from": "completed",
                     *                 "at": "2026-12-07T19:30:00.000Z",
                     *                 "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *                 "note": "The new sockets do not work"
                     *               }
                     *             ]
                     *           },
                     *           "chargebacks": []
                     *         }
                     *       ],
                     *       "nextCursor": null
                     *     }
                     */
                    "application/json": {
                        items: components["schemas"]["Dispute"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description `pagination.invalid_cursor`: The cursor is not valid; `validation.failed`: The request is not valid */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminResolveDispute: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refundAmount": {
                 *         "amount": 6000,
                 *         "currency": "gbp"
                 *       },
                 *       "note": "Two of eight sockets faulty: a quarter back"
                 *     }
                 */
                "application/json": {
                    /** @description To the customer: 0 releases everything to the contractor, the full price refunds everything */
                    refundAmount: {
                        amount: number;
                        currency: string;
                    };
                    note: string;
                };
            };
        };
        responses: {
            /** @description The booking after the resolution */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "partially_refunded",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": {
                     *         "amount": 6000,
                     *         "currency": "gbp"
                     *       },
                     *       "disputeReason": "The new sockets do not work",
                     *       "disputeResponse": {
                     *         "statement": "Both sockets were tested live before I left; the kitchen circuit's breaker has tripped since. I can come back to reset it at no charge.",
                     *         "at": "2026-12-08T08:10:00.000Z"
                     *       },
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-08T09:00:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "in_progress",
                     *           "from": "funded",
                     *           "at": "2026-12-07T09:03:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "completed",
                     *           "from": "in_progress",
                     *           "at": "2026-12-07T12:41:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "disputed",
                     *           "from": "completed",
                     *           "at": "2026-12-07T19:30:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": "The new sockets do not work"
                     *         },
                     *         {
                     *           "status": "partially_refunded",
                     *           "from": "disputed",
                     *           "at": "2026-12-08T09:00:00.000Z",
                     *           "by": "0192f0a4-7d30-7e5f-8fb1-2c3d4e5f6a71",
                     *           "note": "Two of eight sockets faulty: a quarter back"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payment.currency_mismatch`: The amount is not in the booking's (or the balance's) currency */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateBookingRefund: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refundAmount": {
                 *         "amount": 24000,
                 *         "currency": "gbp"
                 *       },
                 *       "note": "Work redone by another contractor"
                 *     }
                 */
                "application/json": {
                    /** @description To the customer: 0 releases everything to the contractor, the full price refunds everything */
                    refundAmount: {
                        amount: number;
                        currency: string;
                    };
                    note: string;
                };
            };
        };
        responses: {
            /** @description The booking after the refund */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
                     *       "status": "refunded",
                     *       "customer": {
                     *         "id": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *         "name": "Alice Brown"
                     *       },
                     *       "contractor": {
                     *         "id": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *         "name": "Priya Patel"
                     *       },
                     *       "categorySlug": "electrician",
                     *       "description": "Replace the fuse board and add two sockets in the kitchen",
                     *       "scheduledStart": "2026-12-07T09:00:00Z",
                     *       "scheduledEnd": "2026-12-07T13:00:00Z",
                     *       "location": {
                     *         "lat": 51.5238,
                     *         "lng": -0.1586,
                     *         "address": "221B Baker Street, London NW1 6XE"
                     *       },
                     *       "price": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "commission": {
                     *         "amount": 2400,
                     *         "currency": "gbp"
                     *       },
                     *       "contractorAmount": {
                     *         "amount": 21600,
                     *         "currency": "gbp"
                     *       },
                     *       "refundAmount": {
                     *         "amount": 24000,
                     *         "currency": "gbp"
                     *       },
                     *       "disputeReason": null,
                     *       "disputeResponse": null,
                     *       "createdAt": "2026-12-01T10:15:00.000Z",
                     *       "updatedAt": "2026-12-08T09:00:00.000Z",
                     *       "history": [
                     *         {
                     *           "status": "requested",
                     *           "from": null,
                     *           "at": "2026-12-01T10:15:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "accepted",
                     *           "from": "requested",
                     *           "at": "2026-12-01T11:02:00.000Z",
                     *           "by": "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "funded",
                     *           "from": "accepted",
                     *           "at": "2026-12-01T11:20:00.000Z",
                     *           "by": "system",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "released",
                     *           "from": "funded",
                     *           "at": "2026-12-07T19:30:00.000Z",
                     *           "by": "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f",
                     *           "note": null
                     *         },
                     *         {
                     *           "status": "refunded",
                     *           "from": "released",
                     *           "at": "2026-12-09T09:00:00.000Z",
                     *           "by": "0192f0a4-7d30-7e5f-8fb1-2c3d4e5f6a71",
                     *           "note": "Work redone by another contractor"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Booking"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.not_found`: No such booking */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `booking.invalid_transition`: The booking's current state does not allow this action */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payment.currency_mismatch`: The amount is not in the booking's (or the balance's) currency */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminGetSettingsCommission: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The commission settings */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "rateBps": 1000,
                     *       "fixedFee": {
                     *         "amount": 50,
                     *         "currency": "gbp"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CommissionSettings"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminSetSettingsCommission: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rateBps": 1200,
                 *       "fixedFee": {
                 *         "amount": 50,
                 *         "currency": "gbp"
                 *       }
                 *     }
                 */
                "application/json": {
                    rateBps: number;
                    fixedFee: {
                        amount: number;
                        currency: string;
                    };
                };
            };
        };
        responses: {
            /** @description The commission now in force */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "rateBps": 1200,
                     *       "fixedFee": {
                     *         "amount": 50,
                     *         "currency": "gbp"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CommissionSettings"];
                };
            };
            /** @description `validation.failed`: The request is not valid; `request.malformed_json`: The request body is not valid JSON */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.unauthenticated`: Authentication required; `auth.token_expired`: The access token has expired; `auth.invalid_token`: The access token is invalid; `auth.session_ended`: This session has ended; sign in again */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `auth.account_suspended`: This account is suspended; `auth.forbidden`: Not allowed */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.unsupported_media_type`: The request body must be application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createWebhooksStripe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Stored for processing */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "received": true,
                     *       "duplicate": false
                     *     }
                     */
                    "application/json": components["schemas"]["WebhookReceipt"];
                };
            };
            /** @description `webhook.invalid_signature`: The webhook's Stripe-Signature does not match its body, or it is too old */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `request.too_large`: The request body is too large */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `internal`: Internal server error */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `database.unavailable`: The database cannot be reached; retry after Retry-After seconds; `database.busy`: The server is overloaded; retry after Retry-After seconds */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other client error: switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process answers */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description `no-store`: a probe's answer is never reused */
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "live"
                     *     }
                     */
                    "application/json": components["schemas"]["Liveness"];
                };
            };
            /** @description The embedded PostgreSQL this process runs is gone and could not be restarted */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description `no-store`: a probe's answer is never reused */
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "down"
                     *     }
                     */
                    "application/json": components["schemas"]["LivenessDown"];
                };
            };
            /** @description A request refused before the probe ran (malformed or too large body, another method): switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description `no-store`: a probe's answer is never reused */
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "checks": {
                     *         "database": "up",
                     *         "migrations": "applied",
                     *         "pool": "free"
                     *       },
                     *       "pool": {
                     *         "max": 10,
                     *         "open": 3,
                     *         "idle": 3,
                     *         "waiting": 0
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Database unreachable, migrations pending, or the server is stopping */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description `no-store`: a probe's answer is never reused */
                    "Cache-Control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "unavailable",
                     *       "checks": {
                     *         "database": "down",
                     *         "migrations": "unknown",
                     *         "pool": "free"
                     *       },
                     *       "pool": {
                     *         "max": 10,
                     *         "open": 0,
                     *         "idle": 0,
                     *         "waiting": 0
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description A request refused before the probe ran (malformed or too large body, another method): switch on `code` */
            "4XX": {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other error: switch on `code` */
            default: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
