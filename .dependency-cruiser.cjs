/**
 * Module boundaries of the server (docs/architecture.md, "Modules"):
 * a module is entered only through its index.ts, the core never depends on a module, and nothing is circular.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make start-up order fragile and modules impossible to reason about alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "module-through-index",
      severity: "error",
      comment:
        "Another module is reached only through its index.ts: its tables, repo and routes are its own.",
      from: { path: "^apps/server/src/modules/([^/]+)/", pathNot: "\\.tables\\.ts$" },
      to: {
        path: "^apps/server/src/modules/[^/]+/.+",
        pathNot: ["^apps/server/src/modules/$1/", "^apps/server/src/modules/[^/]+/index\\.ts$"],
      },
    },
    {
      name: "tables-reference-tables-only",
      severity: "error",
      comment: "A table may name another module's table for a foreign key, and nothing else of it.",
      from: { path: "^apps/server/src/modules/([^/]+)/[^/]+\\.tables\\.ts$" },
      to: {
        path: "^apps/server/src/modules/[^/]+/.+",
        pathNot: ["^apps/server/src/modules/$1/", "^apps/server/src/modules/[^/]+/[^/]+\\.tables\\.ts$"],
      },
    },
    {
      name: "index-hides-tables",
      severity: "error",
      comment:
        "A module's index.ts does not hand out its tables: other modules read through its functions or views.",
      from: { path: "^apps/server/src/modules/[^/]+/index\\.ts$" },
      to: { path: "\\.tables\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "outside-through-index",
      severity: "error",
      comment: "Start-up, CLIs, demo data and the test harness use a module through its index.ts too.",
      from: {
        path: "^apps/server/(src|test)/",
        pathNot: ["^apps/server/src/modules/", "^apps/server/src/db/schema\\.ts$"],
      },
      to: {
        path: "^apps/server/src/modules/[^/]+/.+",
        pathNot: "^apps/server/src/modules/[^/]+/index\\.ts$",
      },
    },
    {
      name: "core-without-modules",
      severity: "error",
      comment:
        "http/, db/, jobs/ and realtime/ are the base every module builds on; they must not depend on one.",
      from: {
        path: "^apps/server/src/(http|db|jobs|realtime)/",
        pathNot: "^apps/server/src/db/schema\\.ts$",
      },
      to: { path: "^apps/server/src/modules/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|migrations)/" },
    tsPreCompilationDeps: true,
    // Lets "./x.js" (as NodeNext wants it written) resolve to x.ts.
    tsConfig: { fileName: require("node:path").join(__dirname, "apps/server/tsconfig.json") },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
  },
};
