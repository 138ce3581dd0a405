export { fileErrors } from "./files.errors.js";
export { fileKeys, filesByIds } from "./files.read.js";
export { filesRoutes, localStorageRouter } from "./files.routes.js";
export { createFilesService, type FilesService, type FileView, type ReadRule } from "./files.service.js";
export { type FilePurpose, type FileRow, files } from "./files.tables.js";
export { createLocalStorage, localStoragePath } from "./local-storage.js";
export type { StorageDriver } from "./storage.js";
