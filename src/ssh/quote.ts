// Every parameter reaches a shell single-quoted: ' becomes '\'' and nothing inside is special.
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A value printed inside a command for the operator to paste: bare when a shell reads it as one plain word, else shellQuote's. */
export function shellWord(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : shellQuote(value);
}
