import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, JsonText, NetworkError, api, errorMessage, simulationJson, type FieldErrors } from '../api/client';
import { PREVIEW_URL, useConnections, useCreateSimulation, usePreview } from '../api/hooks';
import type { Connection, Frequency, Preview, SimulationRequest } from '../api/types';
import { Forecast } from '../components/Forecast';
import { FormField } from '../components/FormField';
import { ScheduleChart } from '../components/ScheduleChart';
import { Alert } from '../components/States';
import {
  ACTIVITY_LEVELS,
  CRM_DEFAULTS,
  MAX_CONTACTS_PER_COMPANY,
  MAX_SALES_CYCLE_DAYS,
  SCENARIO_OPTIONS,
  isActivityLevel,
  isScenario,
  scenarioExplanation,
} from '../lib/crm';
import { MAX_LENGTH, checkBody, draftRequest, fieldLabel, mergeErrors, requiredErrors, visibleFields } from '../lib/draft';
import { splitErrors } from '../lib/errors';
import { formatTime } from '../lib/format';
import { connectionStatusExplanation, connectionStatusLabel, isHeld } from '../lib/hubspot';
import {
  DISTRIBUTIONS,
  MAX_TOTAL_RECORDS,
  browserOffsetLabel,
  curveExplanation,
  formatCount,
  formatInZone,
  isDistribution,
  knownTimeZones,
} from '../lib/planned';
import {
  FREQUENCIES,
  JOBS_PER_SIMULATION,
  frequencyOptionLabel,
  humanizeMinutes,
  isFrequency,
  previewCadence,
  previewSummary,
  scheduleOffsets,
  scheduleTimes,
} from '../lib/schedule';
import { useDebounced } from '../lib/timing';
import { CRM_NAMES, crmAccount, crmLabel } from '../lib/connectionKinds';
import { useUiStore, type RunKind, type SimulationDraft } from '../store';

/** How long the form waits after the last keystroke before asking for a new preview. */
export const PREVIEW_DEBOUNCE_MS = 400;

type Field = Exclude<keyof SimulationDraft, 'kind'>;
const CONTROL_FIELDS = [
  'theme',
  'industry',
  'record_frequency',
  'total_records',
  'starts_at',
  'ends_at',
  'distribution',
  'curve_weights',
  'timezone',
  'seed',
  'scenario',
  'contacts_per_company',
  'deal_rate',
  'win_rate',
  'sales_cycle_days',
  'activity_level',
  'name',
  'connection',
  'email_domains',
] as const satisfies readonly Field[];

function throttleMessage(err: ApiError): string {
  let seconds = err.retryAfter;
  if (seconds === null) {
    const detail = err.fieldErrors.detail?.join(' ') ?? '';
    const match = /(\d+)\s*second/.exec(detail);
    if (match) seconds = Number(match[1]);
  }
  const wait = seconds !== null ? ` Try again in about ${humanizeMinutes(Math.max(1, Math.ceil(seconds / 60)))}.` : ' Please wait a while and try again.';
  return `You have started too many simulations recently.${wait} Your draft is kept.`;
}

interface DraftPreview {
  /** The latest preview with a schedule; kept while a newer body loads or is refused. */
  preview: Preview | null;
  /** The server's 400 for the latest body answered, by field. */
  errors: FieldErrors;
  /** Any other problem with the latest body answered, in words. */
  problem: string | null;
  /** The latest answer was an error: `preview` is of an earlier body. */
  failed: boolean;
  /** The latest answer is for the body on screen. */
  upToDate: boolean;
  /** The body on screen has no answer yet. */
  loading: boolean;
}

/**
 * The preview of the draft as it is typed: asked PREVIEW_DEBOUNCE_MS after the last change, one
 * request per distinct body (the body is the query key). The last answer stays until the next one
 * comes, so neither the chart nor the field errors flicker while the user types.
 */
function useDraftPreview(body: SimulationRequest | null, shownFields: readonly string[]): DraftPreview {
  const key = body ? simulationJson(body) : '';
  const debounced = useDebounced(body, key, PREVIEW_DEBOUNCE_MS);
  const debouncedKey = debounced ? simulationJson(debounced) : '';
  const query = usePreview(debounced);
  const [answer, setAnswer] = useState<Omit<DraftPreview, 'upToDate' | 'loading'> & { key: string }>({
    preview: null,
    errors: {},
    problem: null,
    failed: false,
    key: '',
  });
  const shownKey = shownFields.join(' ');

  useEffect(() => {
    if (!debounced) return;
    if (query.isSuccess) {
      setAnswer({ preview: query.data, errors: {}, problem: null, failed: false, key: debouncedKey });
    } else if (query.isError) {
      const err = query.error;
      const shown = shownKey.split(' ');
      setAnswer((prev) => {
        if (err instanceof ApiError && err.status === 400) {
          const { fields, other } = splitErrors(err, shown, fieldLabel);
          return { preview: prev.preview, errors: fields, problem: other, failed: true, key: debouncedKey };
        }
        return { preview: prev.preview, errors: {}, problem: `Could not preview: ${errorMessage(err)}`, failed: true, key: debouncedKey };
      });
    }
  }, [debounced, query.isSuccess, query.isError, query.data, query.error, debouncedKey, shownKey]);

  const upToDate = body !== null && answer.key === key;
  return {
    preview: answer.preview,
    errors: body ? answer.errors : {},
    problem: upToDate ? answer.problem : null,
    failed: answer.failed,
    upToDate,
    loading: body !== null && !upToDate,
  };
}

export function NewSimulationPage() {
  const draft = useUiStore((s) => s.draft);
  const setDraft = useUiStore((s) => s.setDraft);
  const clearDraft = useUiStore((s) => s.clearDraft);
  const create = useCreateSimulation();
  const navigate = useNavigate();
  /** Errors from sending (ours or the server's), each cleared when its field is edited. */
  const [errors, setErrors] = useState<FieldErrors>({});
  /** Fields edited since the last preview answer: their preview errors are out of date. */
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const [formError, setFormError] = useState<string | null>(null);
  const [now, setNow] = useState(() => new Date());
  const ids = {
    theme: useId(),
    industry: useId(),
    record_frequency: useId(),
    total_records: useId(),
    starts_at: useId(),
    ends_at: useId(),
    distribution: useId(),
    curve_weights: useId(),
    timezone: useId(),
    seed: useId(),
    scenario: useId(),
    contacts_per_company: useId(),
    deal_rate: useId(),
    win_rate: useId(),
    sales_cycle_days: useId(),
    activity_level: useId(),
    name: useId(),
    connection: useId(),
    email_domains: useId(),
    preview: useId(),
    zones: useId(),
  };
  const zones = useMemo(knownTimeZones, []);
  const connections = useConnections();
  const deliverTo = connections.data?.find((c) => String(c.id) === draft.connection) ?? null;
  const delivery = deliverTo ? { connectionName: deliverTo.name, crm: crmLabel(deliverTo.kind) } : null;

  // A draft kept from before may name a connection deleted since: deliver nowhere rather than send it.
  useEffect(() => {
    if (connections.isSuccess && draft.connection && !connections.data.some((c) => String(c.id) === draft.connection)) {
      setDraft({ connection: '' });
    }
  }, [connections.isSuccess, connections.data, draft.connection, setDraft]);

  // Keep the clock times in the original schedule's preview current.
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 30_000);
    return () => window.clearInterval(timer);
  }, []);

  const shown = visibleFields(draft);
  const request = draftRequest(draft);
  const blocked = Object.keys(request.errors).length > 0;
  // Ask for a preview once the theme and industry are there (the server needs them for the bill).
  // While a value is wrong, the server still judges the rest, so its errors show beside ours.
  const previewBody =
    draft.theme.trim() && draft.industry.trim() ? (blocked ? checkBody(draft, request.body, request.errors) : request.body) : null;
  const preview = useDraftPreview(previewBody, shown);
  /** Asking the server to judge a draft the browser found wrong (on submit). */
  const [checking, setChecking] = useState(false);

  // An answer for the body on screen: its errors are current for every field again.
  useEffect(() => {
    if (preview.upToDate) setEdited(new Set());
  }, [preview.upToDate]);

  const errorFor = (field: Field): string[] | undefined =>
    errors[field] ?? request.errors[field] ?? (edited.has(field) && !preview.upToDate ? undefined : preview.errors[field]);

  const update = (field: Field, value: string) => {
    if (field === 'record_frequency') {
      if (isFrequency(value)) setDraft({ record_frequency: value });
    } else if (field === 'distribution') {
      if (isDistribution(value)) setDraft({ distribution: value });
    } else if (field === 'scenario') {
      if (isScenario(value)) setDraft({ scenario: value });
    } else if (field === 'activity_level') {
      if (isActivityLevel(value)) setDraft({ activity_level: value });
    } else if (field === 'email_domains') {
      if (value === 'reserved' || value === 'realistic') setDraft({ email_domains: value });
    } else {
      setDraft({ [field]: value });
    }
    if (errors[field]) {
      const rest = { ...errors };
      delete rest[field];
      setErrors(rest);
    }
    if (!edited.has(field)) setEdited(new Set([...edited, field]));
  };

  const setKind = (kind: RunKind) => {
    setDraft({ kind });
    setErrors({});
    setFormError(null);
  };

  const focusFirstError = (errs: FieldErrors) => {
    const first = CONTROL_FIELDS.find((f) => shown.includes(f) && errs[f]);
    if (first) document.getElementById(ids[first])?.focus();
  };

  /**
   * The browser's errors and, beside them, the server's verdict on the rest (a window too old), all
   * at once; nothing is created.
   */
  const showEveryError = async (local: FieldErrors) => {
    setErrors(local);
    focusFirstError(local);
    const focused = document.activeElement;
    setChecking(true);
    try {
      await api.post(PREVIEW_URL, new JsonText(simulationJson(checkBody(draft, request.body, local))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const { fields, other } = splitErrors(err, shown, fieldLabel);
        const merged = mergeErrors(local, fields);
        setErrors(merged);
        setFormError(other);
        // Move to an earlier field the server found wrong, unless the user has moved on meanwhile.
        if (document.activeElement === focused) focusFirstError(merged);
      } else {
        setFormError(`The other fields could not be checked: ${errorMessage(err)}`);
      }
    } finally {
      setChecking(false);
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const local = { ...request.errors, ...requiredErrors(draft) };
    setErrors(local);
    if (Object.keys(local).length) {
      void showEveryError(local);
      return;
    }

    create.mutate(request.body, {
      onSuccess: (sim) => {
        clearDraft();
        setErrors({});
        navigate(`/simulations/${sim.id}`);
      },
      onError: (err) => {
        // The draft stays in the store: nothing to restore.
        if (err instanceof ApiError && err.status === 429) {
          setFormError(throttleMessage(err));
        } else if (err instanceof ApiError && err.status === 400) {
          const { fields, other } = splitErrors(err, shown, fieldLabel);
          setErrors(fields);
          setFormError(other);
          focusFirstError(fields);
        } else if (err instanceof NetworkError) {
          setFormError(`${err.message} Your draft is kept.`);
        } else {
          setFormError(`${errorMessage(err)} Your draft is kept.`);
        }
      },
    });
  };

  const frequency: Frequency = draft.record_frequency;
  const offsets = scheduleOffsets(frequency);
  const times = scheduleTimes(frequency, now);
  const planned = draft.kind === 'planned';

  return (
    <section aria-labelledby="new-title" className="narrow">
      <div className="page-header">
        <h1 id="new-title">New simulation</h1>
        <Link to="/" className="btn">
          Back to list
        </Link>
      </div>

      <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="new-title" data-testid="new-simulation-form">
        {formError && <Alert>{formError}</Alert>}

        <FormField id={ids.theme} name="theme" label="Theme" hint="What the contacts have in common." error={errorFor('theme')}>
          {(control) => (
            <input
              {...control}
              value={draft.theme}
              onChange={(e) => update('theme', e.target.value)}
              placeholder="e.g. Black Friday campaign leads"
              maxLength={MAX_LENGTH + 50}
              data-testid="sim-theme"
            />
          )}
        </FormField>

        <FormField id={ids.industry} name="industry" label="Industry" hint="The industry the contacts work in." error={errorFor('industry')}>
          {(control) => (
            <input
              {...control}
              value={draft.industry}
              onChange={(e) => update('industry', e.target.value)}
              placeholder="e.g. Retail"
              maxLength={MAX_LENGTH + 50}
              data-testid="sim-industry"
            />
          )}
        </FormField>

        <fieldset className="kind-choice">
          <legend>Kind of run</legend>
          <label className="choice">
            <input
              type="radio"
              name="kind"
              value="original"
              checked={!planned}
              onChange={() => setKind('original')}
              data-testid="kind-original"
            />
            <span>
              <strong>Original schedule</strong>
              <span className="choice-hint">{JOBS_PER_SIMULATION} contacts over minutes to days, then it stops.</span>
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name="kind"
              value="planned"
              checked={planned}
              onChange={() => setKind('planned')}
              data-testid="kind-planned"
            />
            <span>
              <strong>Planned run</strong>
              <span className="choice-hint">
                Up to {formatCount(MAX_TOTAL_RECORDS)} records along a curve over a window you choose; a start in the past
                fills in history at once.
              </span>
            </span>
          </label>
        </fieldset>

        {!planned ? (
          <FormField
            id={ids.record_frequency}
            name="record_frequency"
            label="Frequency"
            hint={`Not a repeating schedule: a simulation creates ${JOBS_PER_SIMULATION} contacts, the first right away and the rest spread over a fifth of the period you choose, then it stops.`}
            describedBy={ids.preview}
            error={errorFor('record_frequency')}
          >
            {(control) => (
              <select
                {...control}
                value={draft.record_frequency}
                onChange={(e) => update('record_frequency', e.target.value)}
                data-testid="sim-frequency"
              >
                {FREQUENCIES.map((f) => (
                  <option key={f.value} value={f.value}>
                    {frequencyOptionLabel(f.value)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        ) : (
          <PlannedFields draft={draft} ids={ids} zones={zones} errorFor={errorFor} update={update} />
        )}

        <FormField
          id={ids.name}
          name="name"
          label={
            <>
              Name <span className="muted">(optional)</span>
            </>
          }
          hint="Shown in the list instead of the theme."
          error={errorFor('name')}
        >
          {(control) => (
            <input {...control} value={draft.name} onChange={(e) => update('name', e.target.value)} data-testid="sim-name" />
          )}
        </FormField>

        <FormField
          id={ids.connection}
          name="connection"
          label="Deliver to"
          hint={<DeliverToHint connections={connections.data} loading={connections.isPending} failed={connections.isError} picked={deliverTo} />}
          error={errorFor('connection')}
        >
          {(control) => (
            <select
              {...control}
              value={deliverTo ? draft.connection : ''}
              onChange={(e) => update('connection', e.target.value)}
              data-testid="sim-connection"
            >
              <option value="">Nowhere (keep records in SimCRM only)</option>
              {(connections.data ?? []).map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {connectionOptionLabel(c)}
                </option>
              ))}
            </select>
          )}
        </FormField>

        <FormField
          id={ids.email_domains}
          name="email_domains"
          label="Email domains"
          hint={
            draft.email_domains === 'realistic'
              ? 'Lifelike domains may belong to real businesses: if your CRM ever emails these contacts (a workflow, a sequence, a test campaign), real people receive it and your sending reputation suffers.'
              : 'Every company and email domain is a subdomain of example.com, example.org or example.net (e.g. sarah.avila@henrybrown.example.com): valid in a CRM, yet no message can reach a real mailbox.'
          }
          error={errorFor('email_domains')}
        >
          {(control) => (
            <select {...control} value={draft.email_domains} onChange={(e) => update('email_domains', e.target.value)} data-testid="sim-email-domains">
              <option value="reserved">Reserved: no real mailbox (recommended)</option>
              <option value="realistic">Realistic: lifelike, may belong to real businesses</option>
            </select>
          )}
        </FormField>

        {!planned ? (
          <div className="preview" id={ids.preview} aria-live="polite" data-testid="schedule-preview">
            <p className="preview-summary">
              <strong>{previewSummary(frequency)}</strong>
            </p>
            <p className="muted">{previewCadence(frequency)}</p>
            <ol className="preview-times">
              {times.map((t, i) => (
                <li key={i}>
                  <span className="muted">Contact {i + 1}:</span>{' '}
                  {offsets[i] === 0 ? 'right away' : `${formatTime(t, now)} (in ${humanizeMinutes(offsets[i] ?? 0)})`}
                </li>
              ))}
            </ol>
            <p className="preview-stop" data-testid="schedule-stop">
              After contact {JOBS_PER_SIMULATION} the simulation stops; it does not repeat.
            </p>
          </div>
        ) : (
          <PlannedPreview draft={draft} preview={preview} waiting={previewBody === null || blocked} delivery={delivery} />
        )}
        {/* Apart from the schedule preview, which describes the frequency select. */}
        {!planned && preview.preview && preview.upToDate && !preview.failed && (
          <div className="preview preview-forecast" data-testid="original-forecast">
            <h3>What it costs</h3>
            <Forecast forecast={preview.preview.forecast} delivery={delivery} />
          </div>
        )}

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending || checking} data-testid="sim-submit">
            {create.isPending ? 'Starting…' : checking ? 'Checking…' : 'Start simulation'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** "Sandbox (portal 12345)", and the status when deliveries are held: "… · Token refused". */
function connectionOptionLabel(c: Connection): string {
  const portal = c.portal_id !== null ? ` (portal ${c.portal_id})` : '';
  return `${c.name}${portal}${isHeld(c.status) ? ` · ${connectionStatusLabel(c.status)}` : ''}`;
}

/** What "Deliver to" does with the choice made, or how to get a connection. */
function DeliverToHint({
  connections,
  loading,
  failed,
  picked,
}: {
  connections: Connection[] | undefined;
  loading: boolean;
  failed: boolean;
  picked: Connection | null;
}) {
  if (picked) {
    return (
      <>
        Every contact, company and deal it makes is sent to this {crmAccount(picked.kind)} as it is made.
        {isHeld(picked.status) && <strong className="block">{connectionStatusExplanation(picked.status, picked.kind)}</strong>}
      </>
    );
  }
  if (loading) return <>Loading your connections…</>;
  if (failed) return <>Your connections could not be loaded: records stay in SimCRM.</>;
  if (!connections?.length) {
    return (
      <>
        Records stay in SimCRM. To send them to {CRM_NAMES} as they are made,{' '}
        <Link to="/connections">add a connection</Link>.
      </>
    );
  }
  return (
    <>
      Records stay in SimCRM, or pick a connection to send them to its CRM as they are made (
      <Link to="/connections">manage connections</Link>).
    </>
  );
}

interface PlannedFieldsProps {
  draft: SimulationDraft;
  ids: Record<Field | 'zones', string>;
  zones: string[];
  errorFor: (field: Field) => string[] | undefined;
  update: (field: Field, value: string) => void;
}

function PlannedFields({ draft, ids, zones, errorFor, update }: PlannedFieldsProps) {
  const offset = browserOffsetLabel();
  return (
    <>
      <FormField
        id={ids.total_records}
        name="total_records"
        label="Number of records"
        hint={`How many contacts the run creates in all, from 1 to ${formatCount(MAX_TOTAL_RECORDS)}.`}
        error={errorFor('total_records')}
      >
        {(control) => (
          <input
            {...control}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_TOTAL_RECORDS}
            step={1}
            value={draft.total_records}
            onChange={(e) => update('total_records', e.target.value)}
            data-testid="sim-total-records"
          />
        )}
      </FormField>

      <div className="field-row">
        <FormField
          id={ids.starts_at}
          name="starts_at"
          label="Window start"
          hint={`Your time (${offset}). Empty: when you start it. Up to 366 days back; records before now are created at once.`}
          error={errorFor('starts_at')}
        >
          {(control) => (
            <input
              {...control}
              type="datetime-local"
              value={draft.starts_at}
              onChange={(e) => update('starts_at', e.target.value)}
              data-testid="sim-starts-at"
            />
          )}
        </FormField>
        <FormField
          id={ids.ends_at}
          name="ends_at"
          label="Window end"
          hint={`Your time (${offset}). Empty: 7 days after the start. At most 366 days after it.`}
          error={errorFor('ends_at')}
        >
          {(control) => (
            <input
              {...control}
              type="datetime-local"
              value={draft.ends_at}
              onChange={(e) => update('ends_at', e.target.value)}
              data-testid="sim-ends-at"
            />
          )}
        </FormField>
      </div>

      <FormField
        id={ids.distribution}
        name="distribution"
        label="Curve"
        hint={curveExplanation(draft.distribution)}
        error={errorFor('distribution')}
      >
        {(control) => (
          <select
            {...control}
            value={draft.distribution}
            onChange={(e) => update('distribution', e.target.value)}
            data-testid="sim-distribution"
          >
            {DISTRIBUTIONS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        )}
      </FormField>

      {draft.distribution === 'custom' && (
        <FormField
          id={ids.curve_weights}
          name="curve_weights"
          label="Weights"
          hint="2 to 1,000 numbers (zero or more), separated by commas or spaces, spread evenly over the window in order: 1, 3, 5, 3, 1 peaks in the middle."
          error={errorFor('curve_weights')}
        >
          {(control) => (
            <input
              {...control}
              value={draft.curve_weights}
              onChange={(e) => update('curve_weights', e.target.value)}
              placeholder="e.g. 1, 3, 5, 3, 1"
              inputMode="decimal"
              autoComplete="off"
              data-testid="sim-curve-weights"
            />
          )}
        </FormField>
      )}

      <FormField
        id={ids.timezone}
        name="timezone"
        label="Time zone"
        hint="An IANA name such as Europe/Berlin; empty: UTC. Business hours and weekends are counted in it, and the preview's times are shown in it."
        error={errorFor('timezone')}
      >
        {(control) => (
          <>
            <input
              {...control}
              list={ids.zones}
              value={draft.timezone}
              onChange={(e) => update('timezone', e.target.value)}
              autoComplete="off"
              spellCheck={false}
              data-testid="sim-timezone"
            />
            <datalist id={ids.zones}>
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </>
        )}
      </FormField>

      <FormField
        id={ids.seed}
        name="seed"
        label={
          <>
            Seed <span className="muted">(optional)</span>
          </>
        }
        hint="Leave empty for a random one. The same seed and settings give the same contacts at the same instants."
        error={errorFor('seed')}
      >
        {(control) => (
          <input
            {...control}
            value={draft.seed}
            onChange={(e) => update('seed', e.target.value)}
            inputMode="numeric"
            autoComplete="off"
            data-testid="sim-seed"
          />
        )}
      </FormField>

      <CrmFields draft={draft} ids={ids} errorFor={errorFor} update={update} />
    </>
  );
}

/** A planned run's CRM: scenario, contacts per company (b2b only), deal and win rates, sales cycle. */
function CrmFields({ draft, ids, errorFor, update }: Omit<PlannedFieldsProps, 'zones'>) {
  const b2c = draft.scenario === 'b2c';
  return (
    <fieldset className="crm-fields" data-testid="crm-fields">
      <legend>CRM: companies, deals and lifecycle</legend>
      <p className="hint">
        Contacts move through HubSpot’s lifecycle stages over the window; some reach Opportunity and open a deal, which
        is won or lost.
      </p>
      <div className="field-row">
        <FormField id={ids.scenario} name="scenario" label="Scenario" hint={scenarioExplanation(draft.scenario)} error={errorFor('scenario')}>
          {(control) => (
            <select {...control} value={draft.scenario} onChange={(e) => update('scenario', e.target.value)} data-testid="sim-scenario">
              {SCENARIO_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {!b2c && (
          <FormField
            id={ids.contacts_per_company}
            name="contacts_per_company"
            label="Contacts per company"
            hint={`About this many contacts share a company, from 1 to ${MAX_CONTACTS_PER_COMPANY} (default ${CRM_DEFAULTS.contacts_per_company}).`}
            error={errorFor('contacts_per_company')}
          >
            {(control) => (
              <input
                {...control}
                type="number"
                inputMode="numeric"
                min={1}
                max={MAX_CONTACTS_PER_COMPANY}
                step={1}
                value={draft.contacts_per_company}
                onChange={(e) => update('contacts_per_company', e.target.value)}
                data-testid="sim-contacts-per-company"
              />
            )}
          </FormField>
        )}
      </div>
      <div className="field-row">
        <FormField
          id={ids.deal_rate}
          name="deal_rate"
          label="Deal rate (%)"
          hint={`Share of contacts whose funnel reaches Opportunity and opens a deal, given the time, 0 to 100 (default ${CRM_DEFAULTS.deal_rate * 100}). Contacts created late in the window run out of it: the preview says how many deals open.`}
          error={errorFor('deal_rate')}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="decimal"
              min={0}
              max={100}
              step="any"
              value={draft.deal_rate}
              onChange={(e) => update('deal_rate', e.target.value)}
              data-testid="sim-deal-rate"
            />
          )}
        </FormField>
        <FormField
          id={ids.win_rate}
          name="win_rate"
          label="Win rate (%)"
          hint={`Share of deals that end Closed won, 0 to 100 (default ${CRM_DEFAULTS.win_rate * 100}); the others are lost.`}
          error={errorFor('win_rate')}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="decimal"
              min={0}
              max={100}
              step="any"
              value={draft.win_rate}
              onChange={(e) => update('win_rate', e.target.value)}
              data-testid="sim-win-rate"
            />
          )}
        </FormField>
        <FormField
          id={ids.sales_cycle_days}
          name="sales_cycle_days"
          label="Sales cycle (days)"
          hint={`Typical days from a contact’s creation to its deal’s close, 1 to ${MAX_SALES_CYCLE_DAYS} (default ${CRM_DEFAULTS.sales_cycle_days}). Nothing moves after the window ends.`}
          error={errorFor('sales_cycle_days')}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_SALES_CYCLE_DAYS}
              step={1}
              value={draft.sales_cycle_days}
              onChange={(e) => update('sales_cycle_days', e.target.value)}
              data-testid="sim-sales-cycle-days"
            />
          )}
        </FormField>
        <FormField
          id={ids.activity_level}
          name="activity_level"
          label="Activities"
          hint="Emails, calls, meetings, notes and tasks that tell each contact’s story, dated with the funnel: a first email or web form, nurture emails, a discovery call, a demo, a proposal, follow-up tasks, a kickoff or a loss note. Normal gives a lead 2 to 4 and a won deal 10 or so."
          error={errorFor('activity_level')}
        >
          {(control) => (
            <select {...control} value={draft.activity_level} onChange={(e) => update('activity_level', e.target.value)} data-testid="sim-activity-level">
              {ACTIVITY_LEVELS.map((level) => (
                <option key={level.value} value={level.value}>
                  {level.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
      </div>
    </fieldset>
  );
}

function PlannedPreview({
  draft,
  preview,
  waiting,
  delivery,
}: {
  draft: SimulationDraft;
  preview: DraftPreview;
  waiting: boolean;
  delivery: { connectionName: string; crm?: string } | null;
}) {
  const zone = draft.timezone.trim() || 'UTC';
  const data = preview.preview;
  const schedule = data?.schedule;
  const stale = waiting || preview.failed;
  const pastStart = schedule ? new Date(schedule.starts_at).getTime() < Date.now() - 60_000 : false;

  return (
    <section className="preview planned-preview" aria-labelledby="planned-preview-title" data-testid="planned-preview">
      <div className="preview-head">
        <h2 id="planned-preview-title">Preview</h2>
        <span className="muted small" role="status" data-testid="preview-status">
          {preview.loading && !waiting ? 'Updating…' : ''}
        </span>
      </div>
      {!draft.theme.trim() || !draft.industry.trim() ? (
        <p className="muted" data-testid="preview-waiting">
          Enter a theme and an industry to see the schedule and what it costs.
        </p>
      ) : waiting || Object.keys(preview.errors).length > 0 || preview.problem ? (
        <p className="preview-note" data-testid="preview-blocked">
          {preview.problem ?? 'Fix the highlighted fields to update the preview.'}
        </p>
      ) : null}
      {schedule && data && (
        <>
          <ScheduleChart
            buckets={schedule.buckets}
            timeZone={zone}
            stale={stale}
            caption={
              <>
                <strong>
                  {formatCount(schedule.total_records)} {schedule.total_records === 1 ? 'record' : 'records'}
                </strong>{' '}
                from {formatInZone(schedule.starts_at, zone)} to {formatInZone(schedule.ends_at, zone)}{' '}
                <span className="muted">({zone})</span>
              </>
            }
          />
          {pastStart && (
            <p className="preview-note" data-testid="preview-backfill">
              The window starts in the past: the records due before now are created at once, each with its instant in the
              timeline.
            </p>
          )}
          <div className={stale ? 'is-stale' : undefined}>
            <h3>The first {schedule.first.length === 1 ? 'record' : `${schedule.first.length} records`}</h3>
            <ol className="first-instants" data-testid="first-instants">
              {schedule.first.map((at, i) => (
                <li key={`${at}-${i}`}>
                  <time dateTime={at}>{formatInZone(at, zone, { seconds: true })}</time>
                </li>
              ))}
            </ol>
            {!draft.seed.trim() && (
              <p className="muted small" data-testid="preview-random-seed">
                No seed: this preview used a random one, and the simulation will draw its own, so its instants will differ
                a little. Set a seed to see exactly what will run.
              </p>
            )}
            <h3>What it costs</h3>
            <Forecast forecast={data.forecast} delivery={delivery} contacts={schedule.total_records} />
          </div>
        </>
      )}
    </section>
  );
}
