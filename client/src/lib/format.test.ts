import { describe, expect, it } from 'vitest';
import { plural } from './format';

describe('plural', () => {
  it('counts with thousands separators, the word alone for one, with an s or its own plural otherwise', () => {
    expect(plural(1, 'contact')).toBe('1 contact');
    expect(plural(0, 'minute')).toBe('0 minutes');
    expect(plural(1200, 'company', 'companies')).toBe('1,200 companies');
  });
});
