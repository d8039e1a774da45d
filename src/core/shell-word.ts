// A value printed inside a command for the operator to paste: as it is when the shell reads it as
// one plain word, single-quoted otherwise (a space, `'`, `$` or any other character a shell treats
// specially keeps its meaning out). Kept free of imports: attached consoles print commands too.

/** `value` as one shell word: bare if it is plain, else single-quoted (' becomes '\''). */
export function shellWord(value: string): string {
  if (/^[\w./@%+=:,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
