import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../test/server';
import {
  ApiError,
  JsonText,
  NetworkError,
  api,
  asPage,
  extractFieldErrors,
  fetchCsrf,
  fetchCsrfToken,
  getAllPages,
  keepSeedDigits,
  simulationJson,
  toPath,
} from './client';

function captureHeaders(method: 'get' | 'post' | 'delete', path: string, status = 200) {
  const seen: Headers[] = [];
  server.use(
    http[method](path, ({ request }) => {
      seen.push(request.headers);
      return status === 204 ? new HttpResponse(null, { status }) : HttpResponse.json({ ok: true }, { status });
    }),
  );
  return seen;
}

describe('api client', () => {
  it('sends the csrftoken cookie as X-CSRFToken on unsafe requests only', async () => {
    document.cookie = 'csrftoken=cookie-token; path=/';
    const posts = captureHeaders('post', '/api/thing/');
    const gets = captureHeaders('get', '/api/thing/');
    const deletes = captureHeaders('delete', '/api/thing/1/', 204);

    await api.post('/api/thing/', { a: 1 });
    await api.get('/api/thing/');
    await expect(api.delete('/api/thing/1/')).resolves.toBeNull();

    expect(posts[0]?.get('X-CSRFToken')).toBe('cookie-token');
    expect(posts[0]?.get('Content-Type')).toBe('application/json');
    expect(deletes[0]?.get('X-CSRFToken')).toBe('cookie-token');
    expect(gets[0]?.get('X-CSRFToken')).toBeNull();
  });

  it('falls back to the token returned by /api/auth/csrf/ when the cookie is not readable', async () => {
    server.use(http.get('/api/auth/csrf/', () => HttpResponse.json({ csrfToken: 'body-token' })));
    const posts = captureHeaders('post', '/api/thing/');
    await expect(fetchCsrfToken()).resolves.toBe('body-token');
    await api.post('/api/thing/');
    expect(posts[0]?.get('X-CSRFToken')).toBe('body-token');
  });

  it('reads the sign-in hint from /api/auth/csrf/, and none when it is null, blank or missing', async () => {
    let hint: unknown = 'Password in .simcrm-admin-password';
    server.use(
      http.get('/api/auth/csrf/', () =>
        HttpResponse.json(hint === undefined ? { csrfToken: 't' } : { csrfToken: 't', sign_in_hint: hint as string | null }),
      ),
    );
    await expect(fetchCsrf()).resolves.toEqual({ csrfToken: 't', signInHint: 'Password in .simcrm-admin-password' });
    for (hint of [null, '  ', undefined]) {
      await expect(fetchCsrf()).resolves.toEqual({ csrfToken: 't', signInHint: null });
    }
  });

  it('sends PATCH with the CSRF header and a JSON body', async () => {
    document.cookie = 'csrftoken=cookie-token; path=/';
    let seen: { headers: Headers; body: unknown } | null = null;
    server.use(
      http.patch('/api/thing/1/', async ({ request }) => {
        seen = { headers: request.headers, body: await request.json() };
        return HttpResponse.json({ id: 1, name: 'x' });
      }),
    );
    await expect(api.patch('/api/thing/1/', { name: 'x' })).resolves.toEqual({ id: 1, name: 'x' });
    expect(seen!.headers.get('X-CSRFToken')).toBe('cookie-token');
    expect(seen!.body).toEqual({ name: 'x' });
  });

  it('fetches a fresh token and retries once after a CSRF failure', async () => {
    let calls = 0;
    server.use(
      http.get('/api/auth/csrf/', () => HttpResponse.json({ csrfToken: 'fresh' })),
      http.post('/api/thing/', ({ request }) => {
        calls += 1;
        if (request.headers.get('X-CSRFToken') !== 'fresh') {
          return HttpResponse.json({ detail: 'CSRF Failed: CSRF token missing.' }, { status: 403 });
        }
        return HttpResponse.json({ done: true });
      }),
    );
    await expect(api.post('/api/thing/')).resolves.toEqual({ done: true });
    expect(calls).toBe(2);
  });

  it('turns DRF errors into ApiError with field errors and a readable message', async () => {
    server.use(
      http.post('/api/thing/', () =>
        HttpResponse.json({ theme: ['This field may not be blank.'], non_field_errors: ['Nope.'] }, { status: 400 }),
      ),
      http.post('/api/slow/', () =>
        HttpResponse.json(
          { detail: 'Request was throttled. Expected available in 120 seconds.' },
          { status: 429, headers: { 'Retry-After': '120' } },
        ),
      ),
    );
    const err = await api.post('/api/thing/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).fieldErrors).toEqual({
      theme: ['This field may not be blank.'],
      non_field_errors: ['Nope.'],
    });
    expect((err as ApiError).message).toBe('Nope.');

    const throttled = (await api.post('/api/slow/').catch((e: unknown) => e)) as ApiError;
    expect(throttled.status).toBe(429);
    expect(throttled.retryAfter).toBe(120);
  });

  it('reports an unreachable server as NetworkError', async () => {
    server.use(http.get('/api/down/', () => HttpResponse.error()));
    await expect(api.get('/api/down/')).rejects.toBeInstanceOf(NetworkError);
  });

  it('follows next links and accepts absolute pagination URLs', async () => {
    server.use(
      http.get('/api/items/', ({ request }) => {
        const p = new URL(request.url).searchParams.get('page');
        return p === '2'
          ? HttpResponse.json({ count: 3, next: null, previous: 'http://backend:8000/api/items/', results: [3] })
          : HttpResponse.json({ count: 3, next: 'http://backend:8000/api/items/?page=2', previous: null, results: [1, 2] });
      }),
    );
    await expect(getAllPages<number>('/api/items/')).resolves.toEqual([1, 2, 3]);
    expect(toPath('http://backend:8000/api/items/?page=2')).toBe('/api/items/?page=2');
  });

  it('normalises odd shapes defensively', () => {
    expect(asPage<number>([1, 2])).toEqual({ count: 2, next: null, previous: null, results: [1, 2] });
    expect(asPage<number>(null).results).toEqual([]);
    expect(extractFieldErrors({ name: 'too long', nested: { a: ['x'] } })).toEqual({
      name: ['too long'],
      nested: ['a: x'],
    });
  });
});

describe('int64 seeds', () => {
  const MAX = '9223372036854775807';

  it('writes the seed of a body as an exact JSON integer, after the other fields', () => {
    const json = simulationJson({ theme: 'T', industry: 'I', total_records: 3, seed: MAX });
    expect(json).toBe(`{"theme":"T","industry":"I","total_records":3,"seed":${MAX}}`);
    expect(simulationJson({ theme: 'T', industry: 'I' })).toBe('{"theme":"T","industry":"I"}');
    expect(simulationJson({ theme: 'T', industry: 'I', seed: '007' })).toBe('{"theme":"T","industry":"I","seed":7}');
    expect(simulationJson({ theme: 'T', industry: 'I', seed: '0' })).toBe('{"theme":"T","industry":"I","seed":0}');
    expect(() => simulationJson({ theme: 'T', industry: 'I', seed: '1e3' })).toThrow();
  });

  it('sends a JsonText body as it is', async () => {
    const texts: string[] = [];
    server.use(
      http.post('/api/thing/', async ({ request }) => {
        texts.push(await request.text());
        return HttpResponse.json({});
      }),
    );
    await api.post('/api/thing/', new JsonText(`{"seed":${MAX}}`));
    expect(texts).toEqual([`{"seed":${MAX}}`]);
  });

  it('keeps the digits of every seed in a response, and nothing inside strings', async () => {
    const text = `{"results":[{"id":1,"seed": ${MAX},"name":"say \\"seed\\":5"},{"id":2,"seed":42}],"payload":{"note":"\\"seed\\":1}"}}`;
    server.use(http.get('/api/sims/', () => new HttpResponse(text, { headers: { 'Content-Type': 'application/json' } })));
    const data = await api.get<{ results: Record<string, unknown>[]; payload: unknown }>('/api/sims/');
    expect(data.results[0]).toMatchObject({ id: 1, seed_digits: MAX, name: 'say "seed":5' });
    expect(data.results[1]).toEqual({ id: 2, seed: 42, seed_digits: '42' });
    expect(data.payload).toEqual({ note: '"seed":1}' });
    expect(keepSeedDigits('{"a":1}')).toBe('{"a":1}');
  });
});
