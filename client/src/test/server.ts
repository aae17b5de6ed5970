import { setupServer } from 'msw/node';

/** Each test adds the handlers it needs with server.use(...); unhandled requests fail the test. */
export const server = setupServer();
