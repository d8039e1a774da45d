// How two approver names are compared, everywhere (the approval rules, the form's hints): one
// definition, free of any writer, so the read-only wall screen may load it too.

/**
 * Approver identity for comparisons: NFKC (fullwidth letters fold), lowercase, all whitespace and
 * invisible characters (zero-width spaces, control codes) removed, so 'or\u200Bion' is 'orion'.
 */
export function normalizeName(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[\s\p{Cc}\p{Cf}]+/gu, '');
}

/** Two names of the same person (never true for an empty name). */
export function sameName(a: string, b: string): boolean {
  const na = normalizeName(a);
  return na !== '' && na === normalizeName(b);
}
