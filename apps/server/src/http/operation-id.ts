/**
 * operationIds, the names client generators give their methods, derived from a route's method and path so
 * that no route has to spell one out (a route may still set its own).
 *
 * The path is read as a phrase: static segments are nouns, a `:param` or `me` after a noun picks one of them
 * (`/files/:id` → "File", `/contractors/me/profile` → "MyContractorProfile"), and the method gives the verb:
 * a GET that answers a page (`{ items, nextCursor }`) lists, any other GET gets; POST on a plural noun creates
 * one; PUT, PATCH and DELETE set, update and delete. A POST whose last segment is an action word is named by that action (`/auth/login` → `login`,
 * `/bookings/:id/accept` → `acceptBooking`). A leading `admin` stays as a prefix (`adminListUsers`); a leading
 * `auth` is dropped, its routes being actions that read on their own.
 *
 * Renaming a path renames the generated method, so a route whose path changes while its meaning does not
 * should pin its old name with `operationId`.
 */

type Method = "get" | "post" | "put" | "patch" | "delete";

/**
 * Last path segments that are verbs, not resources. A POST ending in one of these is named by it; a POST on
 * any other singular noun (`/bookings/:id/payment`) creates that thing.
 */
const actions = new Set([
  "accept",
  "cancel",
  "change",
  "complete",
  "confirm",
  "decline",
  "dispute",
  "forgot",
  "login",
  "logout",
  "logout-all",
  "read",
  "refresh",
  "register",
  "reject",
  "resend",
  "reset",
  "resolve",
  "start",
  "verify",
]);

const verbs: Record<Exclude<Method, "get" | "post">, string> = {
  put: "set",
  patch: "update",
  delete: "delete",
};

function pascal(segment: string): string {
  return segment
    .replace(/\.[a-z]+$/, "")
    .split(/[-_.]/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join("");
}

/** "ss", "us" and "is" endings are singular already (address, status, analysis). */
function isPlural(noun: string): boolean {
  return /s$/.test(noun) && !/(ss|us|is)$/.test(noun);
}

function singular(noun: string): string {
  if (!isPlural(noun)) return `${noun}Item`;
  if (/ies$/.test(noun)) return `${noun.slice(0, -3)}y`;
  if (/(ch|sh|x|ss)es$/.test(noun)) return noun.slice(0, -2);
  return noun.slice(0, -1);
}

/**
 * `method` and an Express `path` (below /api/v1, `:name` parameters) → a camelCase operationId. `returnsList`:
 * the success answer is a page of items.
 */
export function deriveOperationId(method: Method, path: string, returnsList = false): string {
  let segments = path.split("/").filter(Boolean);
  let prefix = "";
  if (segments[0] === "admin") {
    prefix = "admin";
    segments = segments.slice(1);
  } else if (segments[0] === "auth") {
    segments = segments.slice(1);
  }

  const last = segments.at(-1) ?? "";
  const action = method === "post" && actions.has(last) ? last : undefined;
  if (action) segments = segments.slice(0, -1);

  const nouns: string[] = [];
  let mine = false;
  for (const segment of segments) {
    const picksOne = segment.startsWith(":") || segment === "me";
    if (segment === "me") mine = true;
    if (picksOne) {
      const previous = nouns.pop();
      if (previous !== undefined) nouns.push(singular(previous));
      else if (segment === "me") nouns.push("me");
    } else {
      nouns.push(segment);
    }
  }
  // `/me` alone is the caller ("getMe"); `me` inside a path makes the rest of it theirs ("getMyProfile").
  const alone = nouns.length === 1 && nouns[0] === "me";
  const tail = segments.at(-1) ?? "";
  const collection = !action && !tail.startsWith(":") && tail !== "me" && isPlural(tail);
  if (collection && method === "post") {
    const noun = nouns.pop();
    if (noun !== undefined) nouns.push(singular(noun));
  }

  const verb = action
    ? action
    : method === "post"
      ? "create"
      : method === "get"
        ? returnsList
          ? "list"
          : "get"
        : verbs[method];
  const phrase =
    (alone ? "Me" : mine ? "My" : "") +
    nouns
      .filter((noun) => noun !== "me")
      .map(pascal)
      .join("");
  const name = `${prefix}${pascal(verb)}${phrase}`;
  return name[0]?.toLowerCase() + name.slice(1);
}
