import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API server at /admin; in development Vite proxies API calls to it.
export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  server: {
    proxy: {
      "/api": "http://localhost:3000",
      "/socket.io": { target: "http://localhost:3000", ws: true },
    },
  },
});
