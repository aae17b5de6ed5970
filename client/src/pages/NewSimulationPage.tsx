import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, NetworkError, errorMessage, type FieldErrors } from '../api/client';
import { useCreateSimulation } from '../api/hooks';
import type { Frequency, SimulationInput } from '../api/types';
import { FormField } from '../components/FormField';
import { Alert } from '../components/States';
import { formatTime } from '../lib/format';
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
import { useUiStore, type SimulationDraft } from '../store';

const FIELDS = ['theme', 'industry', 'record_frequency', 'name'] as const;
type Field = (typeof FIELDS)[number];
const MAX_LENGTH = 255;

function validate(draft: SimulationDraft): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of ['theme', 'industry'] as const) {
    const value = draft[field].trim();
    const label = field === 'theme' ? 'theme' : 'industry';
    if (!value) errors[field] = [field === 'theme' ? 'Enter a theme.' : 'Enter an industry.'];
    else if (value.length > MAX_LENGTH) errors[field] = [`Keep the ${label} to ${MAX_LENGTH} characters or fewer.`];
  }
  if (draft.name.trim().length > MAX_LENGTH) errors.name = [`Keep the name to ${MAX_LENGTH} characters or fewer.`];
  return errors;
}

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

export function NewSimulationPage() {
  const draft = useUiStore((s) => s.draft);
  const setDraft = useUiStore((s) => s.setDraft);
  const clearDraft = useUiStore((s) => s.clearDraft);
  const create = useCreateSimulation();
  const navigate = useNavigate();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [now, setNow] = useState(() => new Date());
  const ids = { theme: useId(), industry: useId(), record_frequency: useId(), name: useId(), preview: useId() };

  // Keep the clock times in the preview current.
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 30_000);
    return () => window.clearInterval(timer);
  }, []);

  const update = (field: Field, value: string) => {
    if (field === 'record_frequency') {
      if (isFrequency(value)) setDraft({ record_frequency: value });
    } else {
      setDraft({ [field]: value });
    }
    if (errors[field]) {
      const rest = { ...errors };
      delete rest[field];
      setErrors(rest);
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const local = validate(draft);
    setErrors(local);
    if (Object.keys(local).length) {
      focusFirstError(local);
      return;
    }
    const input: SimulationInput = {
      theme: draft.theme.trim(),
      industry: draft.industry.trim(),
      record_frequency: draft.record_frequency,
    };
    if (draft.name.trim()) input.name = draft.name.trim();

    create.mutate(input, {
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
          const all = err.fieldErrors;
          const fieldErrors: FieldErrors = {};
          const other: string[] = [];
          for (const [key, messages] of Object.entries(all)) {
            if ((FIELDS as readonly string[]).includes(key)) fieldErrors[key] = messages;
            else if (key === 'non_field_errors' || key === 'detail') other.push(...messages);
            else other.push(...messages.map((m) => `${key}: ${m}`));
          }
          setErrors(fieldErrors);
          setFormError(other.length ? other.join(' ') : Object.keys(fieldErrors).length ? null : err.message);
          focusFirstError(fieldErrors);
        } else if (err instanceof NetworkError) {
          setFormError(`${err.message} Your draft is kept.`);
        } else {
          setFormError(`${errorMessage(err)} Your draft is kept.`);
        }
      },
    });
  };

  const focusFirstError = (errs: FieldErrors) => {
    const first = FIELDS.find((f) => errs[f]);
    if (first) document.getElementById(ids[first])?.focus();
  };

  const frequency: Frequency = draft.record_frequency;
  const offsets = scheduleOffsets(frequency);
  const times = scheduleTimes(frequency, now);

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

        <FormField
          id={ids.theme}
          name="theme"
          label="Theme"
          hint="What the contacts have in common."
          error={errors.theme}
        >
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

        <FormField
          id={ids.industry}
          name="industry"
          label="Industry"
          hint="The industry the contacts work in."
          error={errors.industry}
        >
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

        <FormField
          id={ids.record_frequency}
          name="record_frequency"
          label="Frequency"
          hint={`Not a repeating schedule: a simulation creates ${JOBS_PER_SIMULATION} contacts, the first right away and the rest spread over a fifth of the period you choose, then it stops.`}
          describedBy={ids.preview}
          error={errors.record_frequency}
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

        <FormField
          id={ids.name}
          name="name"
          label={
            <>
              Name <span className="muted">(optional)</span>
            </>
          }
          hint="Shown in the list instead of the theme."
          error={errors.name}
        >
          {(control) => (
            <input {...control} value={draft.name} onChange={(e) => update('name', e.target.value)} data-testid="sim-name" />
          )}
        </FormField>

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

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="sim-submit">
            {create.isPending ? 'Starting…' : 'Start simulation'}
          </button>
        </div>
      </form>
    </section>
  );
}
