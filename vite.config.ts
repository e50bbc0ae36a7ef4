import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is built into dist/app and served by the Nexus server at `/`.
// In `npm run dev` Vite proxies the WebSocket and REST routes to the Nexus server,
// so the app talks to the same paths in both modes.
const serverUrl = process.env.NEXUS_DEV_SERVER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  // The client package is bundled from its sources (its `nexus-source` export condition).
  resolve: { conditions: ['nexus-source', 'module', 'browser', 'development|production'] },
  // NEXUS_NO_MINIFY=1 keeps names readable in profiles (bench:dashboard with BENCH_PROFILE=1).
  // Vite's chunk size warning (500 kB minified) stays on. The first screen is the entry chunk and
  // its static imports (`npm run bundle-size` holds it to 150 kB gzip); the charts and the admin
  // views are chunks of their own, loaded on demand (React.lazy in App.tsx). React, which changes
  // least, is a chunk of its own so it stays cached across releases.
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    minify: process.env.NEXUS_NO_MINIFY !== '1',
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
        },
      },
    },
  },
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
