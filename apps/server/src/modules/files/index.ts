export { copyObjects } from "./copy-objects.js";
export { fileErrors } from "./files.errors.js";
export { createFilesModule } from "./files.module.js";
export { fileKeys, storedObjects } from "./files.read.js";
export type { FilesService, FileView, ReadRule } from "./files.service.js";
export type { FilePurpose, FileRow } from "./files.tables.js";
export { createLocalStorage } from "./local-storage.js";
export { createS3Storage } from "./s3-storage.js";
export type { StorageDriver } from "./storage.js";
