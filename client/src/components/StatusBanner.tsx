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

function ProviderBanner({ provider }: { provider: PersonaProviderStatus }) {
  const name = PROVIDER_LABELS[provider.provider] ?? provider.provider;
  const which = provider.model ? `${name}, model ${provider.model}` : name;
  return (
    <div className="alert alert-warning status-banner" role="status" aria-live="polite" data-testid="status-banner-provider">
      <p>
        <strong>The persona provider ({which}) is unavailable</strong>, so new contacts fail.
      </p>
      {provider.detail && <p data-testid="status-provider-detail">{withCode(provider.detail)}</p>}
      <p className="small">
        To fix it, set <code>OPENAI_API_KEY</code> and <code>OPENAI_MODEL</code> in the server's environment, or
        use offline personas with <code>SIMCRM_PERSONA_PROVIDER=offline</code>; then restart the server and the
        worker.
      </p>
    </div>
  );
}

/** The server's texts put commands and settings in `backticks`: shown as code. */
function withCode(text: string): ReactNode[] {
  return text.split(/`([^`\n]+)`/).map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
