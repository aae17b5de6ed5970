import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { resetCsrfToken } from '../api/client';
import { EMPTY_DRAFT, useUiStore } from '../store';
import { installCanvasStubs } from './canvas';
import { server } from './server';

installCanvasStubs();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  resetCsrfToken();
  sessionStorage.clear();
  useUiStore.setState({ draft: EMPTY_DRAFT, simulationsPage: null });
  document.cookie.split(';').forEach((c) => {
    const name = c.split('=')[0]?.trim();
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  });
});
afterAll(() => server.close());
