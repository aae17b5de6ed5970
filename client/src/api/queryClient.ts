import { QueryCache, QueryClient } from '@tanstack/react-query';
import { ApiError } from './client';

export const meKey = ['me'] as const;

/**
 * One QueryClient per app (and per test). A 401/403 from any other query makes us re-ask
 * /api/auth/me/, so an expired session sends the user back to the sign-in screen.
 */
export function createQueryClient(options: { retry?: boolean } = {}): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (
          error instanceof ApiError &&
          (error.status === 401 || error.status === 403) &&
          query.queryKey[0] !== meKey[0]
        ) {
          void client.invalidateQueries({ queryKey: meKey });
        }
      },
    }),
    defaultOptions: {
      queries: {
        retry:
          options.retry === false
            ? false
            : (failureCount, error) =>
                !(error instanceof ApiError && error.status < 500) && failureCount < 2,
        refetchOnWindowFocus: true,
        staleTime: 1000,
      },
      mutations: { retry: false },
    },
  });
  return client;
}
