import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client.js";

/** The catalogue's category slugs, for filters. */
export function useCategories(): string[] {
  const query = useQuery({
    queryKey: ["categories"],
    queryFn: () => ok(api.GET("/api/v1/categories")),
    staleTime: 3_600_000,
  });
  return query.data?.items.map((category) => category.slug) ?? [];
}
