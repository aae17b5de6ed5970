import { http, HttpResponse, type JsonBodyType } from 'msw';
import type { Preview, Simulation, SimulationSchedule } from '../api/types';
import { preview as previewFixture } from './fixtures';
import { server } from './server';

/** What the preview endpoint was sent: the raw JSON text (to see the seed's digits) and its parse. */
export interface PreviewCalls {
  texts: string[];
  bodies: Record<string, unknown>[];
}

/**
 * POST /api/simulations/preview/: answers `respond(body)` (a Preview, or [status, body] for an
 * error), by default the preview fixture for any body.
 */
export function previewHandler(
  respond: (body: Record<string, unknown>) => Preview | [number, JsonBodyType] = () => previewFixture(),
): PreviewCalls {
  const calls: PreviewCalls = { texts: [], bodies: [] };
  server.use(
    http.post('/api/simulations/preview/', async ({ request }) => {
      const text = await request.text();
      const body = JSON.parse(text) as Record<string, unknown>;
      calls.texts.push(text);
      calls.bodies.push(body);
      const answer = respond(body);
      return Array.isArray(answer) ? HttpResponse.json(answer[1], { status: answer[0] }) : HttpResponse.json(answer);
    }),
  );
  return calls;
}

/** POST /api/simulations/:id/replay/: 201 with `created`, or [status, body]. Returns the ids replayed. */
export function replayHandler(answer: Simulation | [number, JsonBodyType]): string[] {
  const replayed: string[] = [];
  server.use(
    http.post('/api/simulations/:id/replay/', ({ params }) => {
      replayed.push(String(params.id));
      return Array.isArray(answer) ? HttpResponse.json(answer[1], { status: answer[0] }) : simulationResponse(answer, 201);
    }),
  );
  return replayed;
}

/**
 * The JSON a server sends for a simulation, the seed as its exact digits (from seed_digits, which
 * the server never sends: the client makes it). HttpResponse.json would round a seed past 2**53.
 */
export function simulationText(sim: Simulation): string {
  const { seed, seed_digits: digits, ...rest } = sim;
  const json = JSON.stringify(rest);
  return `${json.slice(0, -1)},"seed":${digits ?? String(seed)}}`;
}

export function simulationResponse(sim: Simulation, status = 200): HttpResponse<string> {
  return new HttpResponse(simulationText(sim), { status, headers: { 'Content-Type': 'application/json' } });
}

/**
 * GET /api/simulations/:id/schedule/: answers `respond(id)` (a schedule, or [status, body]), by
 * default the preview fixture's as days. Returns the ids asked.
 */
export function scheduleHandler(
  respond: (id: string) => SimulationSchedule | [number, JsonBodyType] = () => ({ ...previewFixture().schedule, unit: 'day' }),
): string[] {
  const asked: string[] = [];
  server.use(
    http.get('/api/simulations/:id/schedule/', ({ params }) => {
      asked.push(String(params.id));
      const answer = respond(String(params.id));
      return Array.isArray(answer) ? HttpResponse.json(answer[1], { status: answer[0] }) : HttpResponse.json(answer);
    }),
  );
  return asked;
}
