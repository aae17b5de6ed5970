import { useId, type ReactElement, type ReactNode } from 'react';

/** What FormField hands to its input or select: spread it onto the control. */
export interface FieldControlProps {
  id: string;
  name: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

interface Props {
  /** The control's name; also names the error for tests (data-testid="error-<name>"). */
  name: string;
  label: ReactNode;
  /** The control's id (the hint and error ids derive from it); a generated one when left out. */
  id?: string;
  /** Help text under the control, replaced by the error while there is one. */
  hint?: ReactNode;
  /** Messages for this field (the server's or our own); none means valid. */
  error?: readonly string[] | string | null;
  /** Another element that describes the control while it has no error (e.g. a live preview). */
  describedBy?: string;
  children: (control: FieldControlProps) => ReactElement;
}

/**
 * One form field: label, control, then the error or the hint. The control is described by the
 * error when there is one (and marked aria-invalid), otherwise by the hint and `describedBy`.
 */
export function FormField({ name, label, id, hint, error, describedBy, children }: Props) {
  const generatedId = useId();
  const controlId = id ?? generatedId;
  const errorId = `${controlId}-error`;
  const hintId = `${controlId}-hint`;
  const message = Array.isArray(error) ? error.join(' ') : (error ?? '');
  const hasError = message !== '';
  const description = hasError ? errorId : [hint ? hintId : null, describedBy].filter(Boolean).join(' ') || undefined;

  return (
    <div className={hasError ? 'field has-error' : 'field'}>
      <label htmlFor={controlId}>{label}</label>
      {children({ id: controlId, name, 'aria-invalid': hasError ? true : undefined, 'aria-describedby': description })}
      {hasError ? (
        <p className="field-error" id={errorId} data-testid={`error-${name}`}>
          {message}
        </p>
      ) : hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
