import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError, errorMessage, type FieldErrors } from '../api/client';
import { useConnections, useCreateConnection, useDeleteConnection, useRetryDeliveries, useUpdateConnection } from '../api/hooks';
import type { Connection, ConnectionInput, Tier } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ConnectionStatusChip } from '../components/DeliveryChips';
import { FormField, type FieldControlProps } from '../components/FormField';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { splitErrors } from '../lib/errors';
import { formatDateTime, plural } from '../lib/format';
import { formatCount } from '../lib/planned';
import {
  CONNECTION_KIND_OPTIONS,
  DEFAULT_DAILY_SHARE,
  SALESFORCE_STANDIN,
  crmLabel,
  isConnectionKind,
  secretName,
  type ConnectionKind,
} from '../lib/connectionKinds';
import {
  DEFAULT_BASE_URL,
  DEFAULT_TIER,
  STANDIN_BASE_URL,
  STANDIN_COMMAND,
  TIER_OPTIONS,
  connectionStatusExplanation,
  isHeld,
  isHubSpotApi,
  isTier,
  maskedToken,
  tierLabel,
} from '../lib/hubspot';

const NAME_MAX_LENGTH = 255;

export function ConnectionsPage() {
  const connections = useConnections({ poll: true });
  const remove = useDeleteConnection();
  const [target, setTarget] = useState<Connection | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const confirmDelete = () => {
    if (!target) return;
    const name = target.name;
    remove.mutate(target.id, {
      onSuccess: () => {
        setTarget(null);
        setNotice(`Deleted “${name}” from SimCRM. Nothing was removed from ${crmLabel(target.kind)}.`);
      },
    });
  };

  return (
    <section aria-labelledby="connections-title" className="connections">
      <div className="page-header">
        <h1 id="connections-title">Connections</h1>
      </div>
      <p className="muted">
        A connection delivers the contacts, companies, deals and activities of a simulation to a HubSpot portal or a
        Salesforce org as they are made. Pick one under “Deliver to” when you start a simulation.
      </p>
      {notice && <Alert kind="info">{notice}</Alert>}

      {connections.isPending ? (
        <Loading label="Loading your connections…" />
      ) : connections.isError && !connections.data ? (
        <ErrorState title="Could not load your connections" error={connections.error} onRetry={() => void connections.refetch()} />
      ) : connections.data.length === 0 ? (
        <EmptyState title="No connections yet">
          <p>
            Without a connection, simulations keep their records in SimCRM only. Add one below with a HubSpot private-app
            token or a Salesforce Connected App, and the simulations you point at it send every record they make there,
            within seconds, at a pace the CRM’s limits allow. No portal or org at hand? Try it with a local stand-in.
          </p>
        </EmptyState>
      ) : (
        <ul className="connection-list" aria-label="Your connections">
          {connections.data.map((c) => (
            <ConnectionItem
              key={c.id}
              connection={c}
              onDelete={() => {
                setNotice(null);
                remove.reset();
                setTarget(c);
              }}
            />
          ))}
        </ul>
      )}

      <AddConnectionForm
        onAdded={(c) =>
          setNotice(
            c.kind === 'salesforce'
              ? `Added “${c.name}”: Salesforce accepted the client credentials.`
              : c.portal_id !== null
                ? `Added “${c.name}”: HubSpot portal ${c.portal_id} accepted the token.`
                : `Added “${c.name}”: HubSpot accepted the token.`,
          )
        }
      />

      <ConfirmDialog
        open={target !== null}
        title="Delete this connection?"
        confirmLabel="Delete connection"
        cancelLabel="Keep it"
        danger
        busy={remove.isPending}
        onConfirm={confirmDelete}
        onCancel={() => setTarget(null)}
      >
        <p>
          This removes <strong>{target?.name}</strong> from SimCRM only: nothing is deleted from{' '}
          {crmLabel(target?.kind ?? 'hubspot')}, and the records already delivered stay there.
        </p>
        <p>Records not delivered yet are marked failed, and its simulations keep their records in SimCRM from now on.</p>
        {remove.isError && <Alert>Could not delete: {errorMessage(remove.error)}</Alert>}
      </ConfirmDialog>
    </section>
  );
}

/** One connection: its status and what it means, its facts, and what can be done with it. */
function ConnectionItem({ connection: c, onDelete }: { connection: Connection; onDelete: () => void }) {
  const titleId = useId();
  const retry = useRetryDeliveries();
  const [fixing, setFixing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const fixButton = useRef<HTMLButtonElement>(null);
  const lastError = c.last_error.trim();

  const closeFix = () => {
    setFixing(false);
    window.requestAnimationFrame(() => fixButton.current?.focus());
  };

  return (
    <li className="card connection" aria-labelledby={titleId} data-testid="connection-row" data-status={c.status} data-connection-id={c.id}>
      <div className="connection-head">
        <h2 id={titleId}>{c.name}</h2>
        <ConnectionStatusChip status={c.status} />
      </div>
      {isHeld(c.status) && (
        <p className="alert alert-warning connection-held" data-testid="connection-held">
          {connectionStatusExplanation(c.status, c.kind)}
        </p>
      )}
      <DeliveryCounts connection={c} />
      <dl className="facts">
        {c.kind === 'salesforce' ? (
          <>
            <div>
              <dt>CRM</dt>
              <dd data-testid="connection-kind">Salesforce</dd>
            </div>
            <div>
              <dt>Consumer key</dt>
              <dd className="seed" data-testid="connection-client-id">
                {c.client_id}
              </dd>
            </div>
            <div>
              <dt>Consumer secret</dt>
              <dd className="seed" data-testid="connection-token">
                {maskedToken(c.secret_last4)}
              </dd>
            </div>
            <div>
              <dt>Daily share</dt>
              <dd data-testid="connection-daily-share">
                {c.daily_share === null ? '—' : `${Math.round(c.daily_share * 100)}%`}
                <span className="muted small block">of what the org has left of its daily API allocation</span>
              </dd>
            </div>
          </>
        ) : (
          <>
            <div>
              <dt>Portal</dt>
              <dd data-testid="connection-portal">{c.portal_id ?? '—'}</dd>
            </div>
            <div>
              <dt>Tier</dt>
              <dd data-testid="connection-tier">{tierLabel(c.tier)}</dd>
            </div>
            <div>
              <dt>Token</dt>
              <dd className="seed" data-testid="connection-token">
                {maskedToken(c.token_last4)}
              </dd>
            </div>
          </>
        )}
        <div>
          <dt>Address</dt>
          <dd className="connection-url" data-testid="connection-base-url">
            {c.base_url}
            {c.kind === 'hubspot' && !isHubSpotApi(c.base_url) && (
              <span className="muted small block">not HubSpot itself: a stand-in or another address</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Added</dt>
          <dd>{formatDateTime(c.created_at)}</dd>
        </div>
      </dl>
      {lastError && (
        <div className="connection-error">
          <p className="muted small">Last error</p>
          <p className="job-error" data-testid="connection-last-error">
            {lastError}
          </p>
        </div>
      )}
      <div className="actions connection-actions" role="group" aria-label={`Actions for ${c.name}`}>
        {!fixing && (
          <button
            ref={fixButton}
            type="button"
            className={c.status === 'invalid' ? 'btn btn-primary btn-small' : 'btn btn-small'}
            onClick={() => {
              setNotice(null);
              setFixing(true);
            }}
            data-testid="fix-token"
          >
            Fix {secretName(c.kind)}
          </button>
        )}
        <button
          type="button"
          className="btn btn-small"
          disabled={retry.isPending}
          onClick={() => {
            setNotice(null);
            retry.mutate(c.id, {
              onSuccess: ({ retried }) =>
                setNotice(
                  retried === 0
                    ? 'No failed deliveries to retry.'
                    : `Queued ${plural(retried, 'failed delivery', 'failed deliveries')} again.`,
                ),
            });
          }}
          data-testid="retry-deliveries"
        >
          {retry.isPending ? 'Retrying…' : 'Retry failed deliveries'}
        </button>
        <button type="button" className="btn btn-small btn-danger" onClick={onDelete} data-testid="delete-connection">
          Delete
        </button>
      </div>
      {fixing && (
        <FixTokenForm
          connection={c}
          onDone={(saved) => {
            if (saved) {
              const what = c.kind === 'salesforce' ? 'Client secret' : 'Token';
              const crm = crmLabel(c.kind);
              setNotice(isHeld(c.status) ? `${what} saved: ${crm} accepted it, so held deliveries resume.` : `${what} saved: ${crm} accepted it.`);
            }
            closeFix();
          }}
        />
      )}
      {notice && (
        <p className="alert alert-info connection-notice" role="status" data-testid="connection-notice">
          {notice}
        </p>
      )}
      {retry.isError && <Alert>Could not retry: {errorMessage(retry.error)}</Alert>}
    </li>
  );
}

/**
 * How far delivery got for every simulation that delivers here: delivered, waiting (held while the
 * connection is not ok) and failed. An older server without the counts shows nothing.
 */
function DeliveryCounts({ connection: c }: { connection: Connection }) {
  const counts = (c as Partial<Connection>).delivery;
  if (!counts) return null;
  const waiting = isHeld(c.status) ? 'held' : 'waiting';
  return (
    <p
      className="delivery-counts"
      data-testid="connection-delivery"
      data-pending={counts.pending}
      data-synced={counts.synced}
      data-failed={counts.failed}
    >
      <span className="delivery-count delivery-synced">
        <strong>{formatCount(counts.synced)}</strong> delivered
      </span>
      {' · '}
      <span className="delivery-count delivery-pending">
        <strong>{formatCount(counts.pending)}</strong> {waiting}
      </span>
      {' · '}
      <span className={counts.failed > 0 ? 'delivery-count delivery-failed has-failed' : 'delivery-count delivery-failed'}>
        <strong>{formatCount(counts.failed)}</strong> failed
      </span>
      <span className="muted small block">records of the simulations that deliver here, all of them together</span>
    </p>
  );
}

/**
 * A new secret for a connection (a HubSpot token, a Salesforce consumer secret): the CRM checks it first; its
 * refusal shows on the field.
 */
function FixTokenForm({ connection, onDone }: { connection: Connection; onDone: (saved: boolean) => void }) {
  const update = useUpdateConnection();
  const field = connection.kind === 'salesforce' ? 'client_secret' : 'access_token';
  const secret = secretName(connection.kind);
  const crm = crmLabel(connection.kind);
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const value = token.trim();
    if (!value) {
      setErrors({ [field]: [`Enter the new ${secret}.`] });
      input.current?.focus();
      return;
    }
    setErrors({});
    update.mutate(
      { id: connection.id, [field]: value },
      {
        onSuccess: () => onDone(true),
        onError: (err) => {
          if (err instanceof ApiError && err.status === 400) {
            const { fields, other } = splitErrors(err, [field]);
            setErrors(fields);
            setFormError(other);
            if (fields[field]) input.current?.focus();
          } else {
            setFormError(errorMessage(err));
          }
        },
      },
    );
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === 'Escape' && !update.isPending) {
      event.stopPropagation();
      onDone(false);
    }
  };

  return (
    <form
      className="rename-form fix-token-form"
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      noValidate
      aria-label={`New ${secret} for ${connection.name}`}
      data-testid="fix-token-form"
    >
      {formError && <Alert>{formError}</Alert>}
      <FormField
        name={field}
        label={`New ${connection.kind === 'salesforce' ? 'consumer secret' : 'access token'}`}
        hint={`${crm} checks it before it is saved; once it is accepted, deliveries held for a refused ${secret} resume.`}
        error={errors[field]}
      >
        {(control) => (
          <input
            {...control}
            ref={input}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => {
              setToken(e.target.value);
              if (errors[field]) setErrors({});
            }}
            data-testid="fix-token-input"
          />
        )}
      </FormField>
      <div className="rename-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={update.isPending}>
          {update.isPending ? `Checking the ${secret}…` : `Save ${secret}`}
        </button>
        <button type="button" className="btn btn-small" onClick={() => onDone(false)} disabled={update.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type AddField = 'kind' | 'name' | 'access_token' | 'base_url' | 'tier' | 'instance_url' | 'client_id' | 'client_secret' | 'daily_share';
const ADD_FIELDS: readonly AddField[] = ['kind', 'name', 'access_token', 'base_url', 'tier', 'instance_url', 'client_id', 'client_secret', 'daily_share'];

/** "50" for 0.5: the daily share as the form's percent. */
const DEFAULT_DAILY_PERCENT = String(Math.round(DEFAULT_DAILY_SHARE * 100));

/**
 * POST /api/connections/: the server checks the credentials with the CRM; a refusal shows on its field.
 * HubSpot takes a private-app token (and a tier); Salesforce a Connected App's My Domain URL, consumer key and
 * secret (and the share of the org's daily allocation SimCRM may use).
 */
function AddConnectionForm({ onAdded }: { onAdded: (c: Connection) => void }) {
  const create = useCreateConnection();
  const [kind, setKind] = useState<ConnectionKind>('hubspot');
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [tier, setTier] = useState<Tier>(DEFAULT_TIER);
  const [instanceUrl, setInstanceUrl] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [dailyPercent, setDailyPercent] = useState(DEFAULT_DAILY_PERCENT);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const ids: Record<AddField, string> = {
    kind: useId(),
    name: useId(),
    access_token: useId(),
    base_url: useId(),
    tier: useId(),
    instance_url: useId(),
    client_id: useId(),
    client_secret: useId(),
    daily_share: useId(),
  };
  const salesforce = kind === 'salesforce';

  const focusFirst = (errs: FieldErrors) => {
    const first = ADD_FIELDS.find((f) => errs[f]);
    if (first) document.getElementById(ids[first])?.focus();
  };

  const clearError = (field: AddField) => {
    if (!errors[field]) return;
    const rest = { ...errors };
    delete rest[field];
    setErrors(rest);
  };

  const reset = () => {
    setName('');
    setToken('');
    setBaseUrl('');
    setTier(DEFAULT_TIER);
    setInstanceUrl('');
    setClientId('');
    setClientSecret('');
    setDailyPercent(DEFAULT_DAILY_PERCENT);
    setErrors({});
  };

  /** The body for the CRM picked, or the errors found before asking the server. */
  const bodyOrErrors = (): ConnectionInput | FieldErrors => {
    const local: FieldErrors = {};
    if (!name.trim()) local.name = ['Enter a name.'];
    else if (name.trim().length > NAME_MAX_LENGTH) local.name = [`Keep the name to ${NAME_MAX_LENGTH} characters or fewer.`];
    if (!salesforce) {
      if (!token.trim()) local.access_token = ['Enter the access token.'];
      if (Object.keys(local).length) return local;
      const body: ConnectionInput = { name: name.trim(), kind: 'hubspot', access_token: token.trim(), tier };
      if (baseUrl.trim()) body.base_url = baseUrl.trim();
      return body;
    }
    if (!instanceUrl.trim()) local.instance_url = ['Enter the org’s My Domain URL.'];
    if (!clientId.trim()) local.client_id = ['Enter the Connected App’s consumer key.'];
    if (!clientSecret.trim()) local.client_secret = ['Enter the Connected App’s consumer secret.'];
    const percent = Number(dailyPercent);
    if (!dailyPercent.trim() || !Number.isFinite(percent) || percent < 1 || percent > 100) {
      local.daily_share = ['Enter a share from 1 to 100 percent.'];
    }
    if (Object.keys(local).length) return local;
    return {
      name: name.trim(),
      kind: 'salesforce',
      instance_url: instanceUrl.trim(),
      client_id: clientId.trim(),
      client_secret: clientSecret.trim(),
      daily_share: Math.round(percent * 100) / 10000,
    };
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const body = bodyOrErrors();
    if (!('kind' in body)) {
      setErrors(body as FieldErrors);
      focusFirst(body as FieldErrors);
      return;
    }
    setErrors({});
    create.mutate(body as ConnectionInput, {
      onSuccess: (created) => {
        reset();
        onAdded(created);
      },
      onError: (err) => {
        if (err instanceof ApiError && err.status === 400) {
          const { fields, other } = splitErrors(err, ADD_FIELDS);
          setErrors(fields);
          setFormError(other);
          focusFirst(fields);
        } else {
          setFormError(errorMessage(err));
        }
      },
    });
  };

  const text = (field: AddField, value: string, set: (value: string) => void, testId: string, props: Record<string, unknown> = {}) => (
    (control: FieldControlProps) => (
      <input
        {...control}
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => {
          set(e.target.value);
          clearError(field);
        }}
        data-testid={testId}
        {...props}
      />
    )
  );

  return (
    <section className="card add-connection" aria-labelledby="add-connection-title">
      <h2 id="add-connection-title">Add connection</h2>
      <form className="form" onSubmit={onSubmit} noValidate aria-labelledby="add-connection-title" data-testid="add-connection-form">
        {formError && <Alert>{formError}</Alert>}
        <FormField id={ids.kind} name="kind" label="CRM" hint="Where the simulations that use it deliver their records." error={errors.kind}>
          {(control) => (
            <select
              {...control}
              value={kind}
              onChange={(e) => {
                if (isConnectionKind(e.target.value)) setKind(e.target.value);
                setErrors({});
                setFormError(null);
              }}
              data-testid="connection-kind-select"
            >
              {CONNECTION_KIND_OPTIONS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={ids.name}
          name="name"
          label="Name"
          hint={salesforce ? 'How you will recognise it, e.g. “Developer org”.' : 'How you will recognise it, e.g. “Sandbox portal”.'}
          error={errors.name}
        >
          {text('name', name, setName, 'connection-name', { autoComplete: undefined, spellCheck: undefined, maxLength: NAME_MAX_LENGTH + 50 })}
        </FormField>
        {salesforce ? (
          <>
            <FormField
              id={ids.instance_url}
              name="instance_url"
              label="My Domain URL"
              hint={
                <>
                  The org’s address (Setup, My Domain). No org at hand? <code>{SALESFORCE_STANDIN.command}</code> runs a
                  local stand-in of Salesforce at <code>{SALESFORCE_STANDIN.instanceUrl}</code> and prints the consumer key
                  and secret it accepts.
                </>
              }
              error={errors.instance_url}
            >
              {text('instance_url', instanceUrl, setInstanceUrl, 'connection-instance-url-input', {
                type: 'url',
                inputMode: 'url',
                placeholder: 'https://yourcompany.my.salesforce.com',
              })}
            </FormField>
            <FormField
              id={ids.client_id}
              name="client_id"
              label="Consumer key"
              hint="The client id of a Connected App with the OAuth client credentials flow enabled and a run-as user."
              error={errors.client_id}
            >
              {text('client_id', clientId, setClientId, 'connection-client-id-input')}
            </FormField>
            <FormField
              id={ids.client_secret}
              name="client_secret"
              label="Consumer secret"
              hint="SimCRM asks Salesforce for a token with it first, keeps it encrypted and never shows it again (only its last 4 characters)."
              error={errors.client_secret}
            >
              {text('client_secret', clientSecret, setClientSecret, 'connection-client-secret-input', { type: 'password' })}
            </FormField>
            <FormField
              id={ids.daily_share}
              name="daily_share"
              label="Daily share (%)"
              hint="The share of what the org has left of its daily API allocation that SimCRM may use; the rest stays for your other integrations."
              error={errors.daily_share}
            >
              {text('daily_share', dailyPercent, setDailyPercent, 'connection-daily-share-input', {
                type: 'number',
                inputMode: 'numeric',
                min: 1,
                max: 100,
                step: 1,
              })}
            </FormField>
          </>
        ) : (
          <>
            <FormField
              id={ids.access_token}
              name="access_token"
              label="Access token"
              hint="A HubSpot private-app token that may write contacts, companies and deals. SimCRM checks it with HubSpot, keeps it encrypted and never shows it again (only its last 4 characters)."
              error={errors.access_token}
            >
              {text('access_token', token, setToken, 'connection-token-input', { type: 'password' })}
            </FormField>
            <FormField
              id={ids.base_url}
              name="base_url"
              label={
                <>
                  Base URL <span className="muted">(optional)</span>
                </>
              }
              hint={
                <>
                  Empty: HubSpot itself ({DEFAULT_BASE_URL}). No portal at hand? <code>{STANDIN_COMMAND}</code> runs a local
                  stand-in of HubSpot at <code>{STANDIN_BASE_URL}</code> and prints the token it accepts.
                </>
              }
              error={errors.base_url}
            >
              {text('base_url', baseUrl, setBaseUrl, 'connection-base-url-input', {
                type: 'url',
                inputMode: 'url',
                placeholder: DEFAULT_BASE_URL,
              })}
            </FormField>
            <FormField
              id={ids.tier}
              name="tier"
              label="HubSpot tier"
              hint="Your HubSpot subscription: it sets how many requests SimCRM may send every 10 seconds (it keeps to 90% of them)."
              error={errors.tier}
            >
              {(control) => (
                <select
                  {...control}
                  value={tier}
                  onChange={(e) => {
                    if (isTier(e.target.value)) setTier(e.target.value);
                    clearError('tier');
                  }}
                  data-testid="connection-tier-select"
                >
                  {TIER_OPTIONS.map((t) => (
                    <option key={t.value} value={t.value}>
                      {t.label}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          </>
        )}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="add-connection">
            {create.isPending ? (salesforce ? 'Checking the credentials…' : 'Checking the token…') : 'Add connection'}
          </button>
        </div>
      </form>
    </section>
  );
}
