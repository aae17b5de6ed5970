import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { splitErrors } from './errors';

describe('splitErrors', () => {
  it('keeps the shown fields’ errors by field and says the rest in sentences, naming their field', () => {
    const err = new ApiError(400, { theme: ['Too long.'], seed: ['Not a number.'], non_field_errors: ['Pick one.'] });
    const { fields, other } = splitErrors(err, ['theme'], (field) => field.toUpperCase());
    expect(fields).toEqual({ theme: ['Too long.'] });
    expect(other).toBe('SEED: Not a number. Pick one.');
  });

  it('has nothing more to say when the shown fields hold every error, and the error itself when none does', () => {
    expect(splitErrors(new ApiError(400, { theme: ['Too long.'] }), ['theme']).other).toBeNull();
    const bare = new ApiError(400, {});
    expect(splitErrors(bare, ['theme']).other).toBe(bare.message);
  });
});
