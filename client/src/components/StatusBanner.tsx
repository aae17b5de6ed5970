import type { ReactNode } from 'react';
import { useSystemStatus } from '../api/hooks';
import type { PersonaProviderStatus, WorkerStatus } from '../api/types';
import { formatAgo, formatDateTime } from '../lib/format';

/** The command that starts a worker (the jobs' runner). */
export const WORKER_COMMAND = 'python manage.py qcluster';

const PROVIDER_LABELS: Record<string, string> = { openai: 'OpenAI', offline: 'offline' };

/**
 * What the app needs to work that is not a page's business: a running worker and a working persona
 * provider (GET /api/status/, polled). Nothing while loading, when all is well, or when the status
 * itself cannot be had (the page reports its own failures).
 */
export function StatusBanner() {
  const status = useSystemStatus();
  if (status.isError || !status.data) return null;
  const { worker, persona_provider: provider } = status.data;
  const workerDown = !worker.alive;
  const providerDown = provider.status === 'unavailable';
  if (!workerDown && !providerDown) return null;
  return (
    <div className="status-banners">
      {workerDown && <WorkerBanner worker={worker} checkedAt={new Date(status.dataUpdatedAt)} />}
      {providerDown && <ProviderBanner provider={provider} />}
    </div>
  );
}

function WorkerBanner({ worker, checkedAt }: { worker: WorkerStatus; checkedAt: Date }) {
  return (
    <div className="alert alert-warning status-banner" role="status" aria-live="polite" data-testid="status-banner-worker">
      <p>
        <strong>No worker is running</strong>, so jobs wait: no contacts are created or delivered until one runs.
        Start one on the server with <code>{WORKER_COMMAND}</code>.
      </p>
      {worker.last_seen_at && (
        <p className="small">
          A worker was last seen{' '}
          <time dateTime={worker.last_seen_at} title={formatDateTime(worker.last_seen_at)}>
            {formatAgo(worker.last_seen_at, checkedAt)}
          </time>
          .
        </p>
      )}
    </div>
  );
}

const RESTART = 'then restart the server and the worker.';
const OFFLINE = (
  <>
    or use offline personas with <code>SIMCRM_PERSONA_PROVIDER=offline</code>
  </>
);

/** What to do, by the kind of problem the server found (older servers send none: the settings to check). */
function providerFix(problem: string | null | undefined): { headline: string; fix: ReactNode } {
  switch (problem) {
    case 'unreachable':
      return {
        headline: 'could not be reached',
        fix: (
          <>
            Check that the server can reach that address (network, proxy, firewall) and that{' '}
            <code>OPENAI_BASE_URL</code> is right (left unset, it is OpenAI’s own), {OFFLINE}; {RESTART} SimCRM
            checks again every minute.
          </>
        ),
      };
    case 'key':
      return {
        headline: 'refuses the key',
        fix: (
          <>
            Set <code>OPENAI_API_KEY</code> to a valid, active key in the server’s environment, {OFFLINE}; {RESTART}
          </>
        ),
      };
    case 'model':
      return {
        headline: 'has no model to use',
        fix: (
          <>
            Set <code>OPENAI_MODEL</code> to a chat model the key can use (or <code>auto</code>), {OFFLINE}; {RESTART}
          </>
        ),
      };
    case 'temporary':
      return {
        headline: 'has a temporary problem',
        fix: <>This usually passes: SimCRM checks again every minute, and failed jobs can be retried once it does.</>,
      };
    case 'settings':
      return { headline: 'is unavailable', fix: <>Fix what the message above names, {RESTART}</> };
    default:
      return {
        headline: 'is unavailable',
        fix: (
          <>
            To fix it, set <code>OPENAI_API_KEY</code> and <code>OPENAI_MODEL</code> in the server's environment, {OFFLINE};{' '}
            {RESTART}
          </>
        ),
      };
  }
}

function ProviderBanner({ provider }: { provider: PersonaProviderStatus }) {
  const name = PROVIDER_LABELS[provider.provider] ?? provider.provider;
  const which = provider.model ? `${name}, model ${provider.model}` : name;
  const { headline, fix } = providerFix(provider.problem);
  return (
    <div
      className="alert alert-warning status-banner"
      role="status"
      aria-live="polite"
      data-testid="status-banner-provider"
      data-problem={provider.problem ?? undefined}
    >
      <p>
        <strong>
          The persona provider ({which}) {headline}
        </strong>
        , so new contacts fail.
      </p>
      {provider.detail && <p data-testid="status-provider-detail">{withCode(provider.detail)}</p>}
      <p className="small" data-testid="status-provider-fix">
        {fix}
      </p>
    </div>
  );
}

/** The server's texts put commands and settings in `backticks`: shown as code. */
function withCode(text: string): ReactNode[] {
  return text.split(/`([^`\n]+)`/).map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
