// Every parameter reaches a shell single-quoted: ' becomes '\'' and nothing inside is special.
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
