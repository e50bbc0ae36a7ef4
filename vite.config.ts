import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is built into dist/app and served by the Nexus server at `/`.
// In `npm run dev` Vite proxies the WebSocket and REST routes to the Nexus server,
// so the app talks to the same paths in both modes.
const serverUrl = process.env.NEXUS_DEV_SERVER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist/app', emptyOutDir: true },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: serverUrl },
      '/healthz': { target: serverUrl },
      '/metrics': { target: serverUrl },
      '/ws': { target: serverUrl, ws: true },
    },
  },
});
