import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Where `npm run dev` sends API calls (Django's runserver by default).
const backend = process.env.SIMCRM_BACKEND_URL ?? 'http://127.0.0.1:8000';

// Keep the Host header of the dev server (no changeOrigin): Django's CSRF check compares the
// Origin header with the Host, so both must say localhost:5173.
const proxied = { target: backend, changeOrigin: false };

export default defineConfig(({ command }) => ({
  // Django serves the built assets through its static files at /static/ (dist/assets -> /static/assets).
  base: command === 'build' ? '/static/' : '/',
  plugins: [react()],
  server: {
    proxy: {
      '/api': proxied,
      '/admin': proxied,
      '/static/admin': proxied,
      '/static/rest_framework': proxied,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    restoreMocks: true,
    testTimeout: 15000,
  },
}));
