import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { systemStatus } from './fixtures';

/**
 * Answered in every test unless it says otherwise (server.use(...) takes precedence, and
 * resetHandlers() brings these back): the status banner's poll, all well.
 */
export const defaultHandlers = [http.get('/api/status/', () => HttpResponse.json(systemStatus()))];

/** Each test adds the handlers it needs with server.use(...); unhandled requests fail the test. */
export const server = setupServer(...defaultHandlers);
