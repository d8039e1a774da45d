// Names in the order localeCompare gives them, without ICU when it is not needed: the first
// localeCompare of a process builds ICU's collator (~8 ms, more on a busy machine), which the
// dashboard's first frame paid only to sort service names. For names of lowercase ASCII letters,
// digits, '-' and '.' (what service and host names mostly are), the root collation orders them as
// their code units do ('-' < '.' < digits < letters, shorter prefix first), so that comparison is
// exact there; anything else (capitals, '_', other scripts) goes to localeCompare.
// tests/unit/compare-names.test.ts checks the two agree.
const PLAIN = /^[a-z0-9.-]*$/;

export function compareNames(a: string, b: string): number {
  if (PLAIN.test(a) && PLAIN.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return a.localeCompare(b);
}
