import { scheduleHourly } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { filesRoutes, localStorageRouter } from "./files.routes.js";
import { createFilesService, type FilesDeps, type FilesService } from "./files.service.js";
import { type createLocalStorage, localStoragePath } from "./local-storage.js";

export interface FilesModuleDeps extends FilesDeps {
  /** The local driver, when it is the one in use: the app then serves its objects itself. */
  localStorage?: ReturnType<typeof createLocalStorage> | undefined;
}

/** Uploads are claimed by another module within a day, or deleted. */
const unattachedLifetimeMs = 24 * 60 * 60 * 1000;

export function createFilesModule(deps: FilesModuleDeps): Module<FilesService> {
  const service = createFilesService(deps);
  return {
    name: "files",
    service,
    routes: filesRoutes(service),
    mounts: deps.localStorage ? [[localStoragePath, localStorageRouter(deps.localStorage, deps.clock)]] : [],
    async jobs(queue) {
      await scheduleHourly(queue, "files.purge", async () => {
        await service.purgeUnattached(unattachedLifetimeMs);
      });
    },
  };
}
