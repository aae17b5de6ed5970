import type { ApiError, FieldErrors } from '../api/client';

/**
 * A 400's field errors split into those of the fields a form shows and the rest, as sentences:
 * non_field_errors and detail as they are, any other field named by `label`. `other` is the
 * error's own message when the answer named nothing at all, and null when the fields say it all.
 */
export function splitErrors(
  err: ApiError,
  shown: readonly string[],
  label: (field: string) => string = (field) => field,
): { fields: FieldErrors; other: string | null } {
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const [key, messages] of Object.entries(err.fieldErrors)) {
    if (shown.includes(key)) fields[key] = messages;
    else if (key === 'non_field_errors' || key === 'detail') other.push(...messages);
    else other.push(...messages.map((m) => `${label(key)}: ${m}`));
  }
  return { fields, other: other.length ? other.join(' ') : Object.keys(fields).length ? null : err.message };
}
