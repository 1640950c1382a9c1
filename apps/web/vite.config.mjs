// Build of the web UI: a static single-page app served by the meshlog server at /.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { "/api": "http://127.0.0.1:3100", "/loki": { target: "http://127.0.0.1:3100", ws: true } } },
});
