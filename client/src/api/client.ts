/**
 * Thin fetch wrapper for the DRF API: JSON in and out, session cookie, CSRF header on unsafe
 * requests, and errors turned into ApiError with DRF's field errors.
 */

import type { Csrf, SimulationRequest } from './types';

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  readonly status: number;
  readonly data: unknown;
  /** Seconds from the Retry-After header (429), when given. */
  readonly retryAfter: number | null;

  constructor(status: number, data: unknown, retryAfter: number | null = null) {
    super(describeError(status, data));
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
    this.retryAfter = retryAfter;
  }

  /** DRF field errors ({"theme": ["..."]}) normalised to lists of strings, keyed by field. */
  get fieldErrors(): FieldErrors {
    return extractFieldErrors(this.data);
  }
}

/** The request never got an answer (server down, offline). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('Could not reach the server. Check your connection and try again.');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

/** A request body that is already JSON text: sent as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * The JSON of a create or preview body, with the seed (decimal digits) written as a JSON integer:
 * JSON.stringify of a number would round a seed past 2**53, and the server takes no strings there.
 */
export function simulationJson(body: SimulationRequest): string {
  const { seed, ...rest } = body;
  const json = JSON.stringify(rest);
  if (seed === undefined) return json;
  if (!/^\d+$/.test(seed)) throw new Error(`A seed is decimal digits, not ${JSON.stringify(seed)}.`);
  // Without leading zeros (a JSON number may not have them); "0" stays "0".
  const digits = seed.replace(/^0+(?=\d)/, '');
  return `${json.slice(0, -1)}${json === '{}' ? '' : ','}"seed":${digits}}`;
}

// `"seed": <integer>` outside any string: inside a JSON string every quote is escaped, so `"seed":`
// can only be a key there.
const SEED_KEY = /"seed":(\s*)(\d+)(?=\s*[,}])/g;

/**
 * A simulation's seed is an int64, more than a JS number holds exactly: before parsing, each
 * `"seed": <integer>` of a response also gets its digits as a string beside it, `"seed_digits"`.
 */
export function keepSeedDigits(text: string): string {
  return text.includes('"seed"') ? text.replace(SEED_KEY, '"seed":$1$2,"seed_digits":"$2"') : text;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CSRF_COOKIE = 'csrftoken';

let fallbackCsrfToken: string | null = null;

export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** The cookie wins (Django rotates it on login); the token from /api/auth/csrf/ is a fallback. */
export function getCsrfToken(): string | null {
  return readCookie(CSRF_COOKIE) ?? fallbackCsrfToken;
}

/** Forget the remembered token (after login/logout Django issues a new one). */
export function resetCsrfToken(): void {
  fallbackCsrfToken = null;
}

/** What GET /api/auth/csrf/ answers: the token, and (only on a DEBUG server) where the password is. */
export interface CsrfInfo {
  csrfToken: string | null;
  signInHint: string | null;
}

/** GET /api/auth/csrf/: makes Django set the csrftoken cookie, and remembers the token it returns. */
export async function fetchCsrf(): Promise<CsrfInfo> {
  // Read defensively: an older server answers without sign_in_hint.
  const data = await request<Partial<Csrf> | null>('GET', '/api/auth/csrf/');
  if (data && typeof data.csrfToken === 'string') fallbackCsrfToken = data.csrfToken;
  const hint = data && typeof data.sign_in_hint === 'string' && data.sign_in_hint.trim() ? data.sign_in_hint : null;
  return { csrfToken: getCsrfToken(), signInHint: hint };
}

/** fetchCsrf(), for callers that only need the token. */
export async function fetchCsrfToken(): Promise<string | null> {
  return (await fetchCsrf()).csrfToken;
}

/** Absolute URL on this origin; accepts the absolute `next`/`previous` links DRF returns. */
export function toUrl(path: string): string {
  const base = typeof window !== 'undefined' ? window.location.origin : 'http://localhost';
  const url = new URL(path, base);
  // DRF's pagination links carry the host the server saw; keep only path and query.
  return new URL(url.pathname + url.search, base).toString();
}

function isCsrfFailure(status: number, data: unknown): boolean {
  if (status !== 403 || !data || typeof data !== 'object') return false;
  const detail = (data as { detail?: unknown }).detail;
  return typeof detail === 'string' && /csrf/i.test(detail);
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const payload = body === undefined ? undefined : body instanceof JsonText ? body.text : JSON.stringify(body);
  if (UNSAFE.has(method)) {
    const token = getCsrfToken();
    if (token) headers['X-CSRFToken'] = token;
  }
  try {
    return await fetch(toUrl(path), {
      method,
      headers,
      credentials: 'same-origin',
      body: payload,
    });
  } catch (err) {
    throw new NetworkError(err);
  }
}

async function parseBody(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(keepSeedDigits(text)) as unknown;
  } catch {
    return { detail: text.slice(0, 300) };
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  let data = await parseBody(res);

  // A stale or missing CSRF token: fetch a fresh one once and try again.
  if (UNSAFE.has(method) && isCsrfFailure(res.status, data)) {
    resetCsrfToken();
    try {
      await fetchCsrfToken();
    } catch {
      /* keep the original error */
    }
    res = await send(method, path, body);
    data = await parseBody(res);
  }

  if (!res.ok) {
    const header = res.headers.get('Retry-After');
    const retryAfter = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
    throw new ApiError(res.status, data, retryAfter);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T = null>(path: string) => request<T>('DELETE', path),
};

function asMessages(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(asMessages);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) =>
      asMessages(v).map((m) => `${key}: ${m}`),
    );
  }
  return [String(value)];
}

export function extractFieldErrors(data: unknown): FieldErrors {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return Array.isArray(data) ? { non_field_errors: asMessages(data) } : {};
  }
  const out: FieldErrors = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const messages = asMessages(value);
    if (messages.length) out[key] = messages;
  }
  return out;
}

function describeError(status: number, data: unknown): string {
  const errors = extractFieldErrors(data);
  const general = [...(errors.detail ?? []), ...(errors.non_field_errors ?? [])];
  if (general.length) return general.join(' ');
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Please wait and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Please try again.`;
  const fields = Object.values(errors).flat();
  if (fields.length) return fields.join(' ');
  return `Request failed (HTTP ${status}).`;
}

/** A user-facing message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

export function isAuthError(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}

/** Accepts a DRF page, or a bare list if pagination is switched off. */
export function asPage<T>(data: unknown): { count: number; next: string | null; previous: string | null; results: T[] } {
  if (Array.isArray(data)) return { count: data.length, next: null, previous: null, results: data as T[] };
  const page = (data ?? {}) as Partial<{ count: number; next: string | null; previous: string | null; results: T[] }>;
  const results = Array.isArray(page.results) ? page.results : [];
  return {
    count: typeof page.count === 'number' ? page.count : results.length,
    next: page.next ?? null,
    previous: page.previous ?? null,
    results,
  };
}

/** Follows `next` links and returns every item (bounded, for small per-simulation lists). */
export async function getAllPages<T>(path: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let url: string | null = path;
  for (let i = 0; url && i < maxPages; i += 1) {
    const page: { next: string | null; results: T[] } = asPage<T>(await api.get<unknown>(url));
    items.push(...page.results);
    url = page.next;
  }
  return items;
}

/** Path and query of a (possibly absolute) API link. */
export function toPath(url: string): string {
  const u = new URL(url, 'http://localhost');
  return u.pathname + u.search;
}
