// Remote output made plain for a pipe or a log file (issue 12 item 25): colour and cursor codes
// (CSI, OSC) removed, a carriage-return progress line reduced to what it last showed, other
// control characters dropped. Only used when stdout is not a terminal.
export function plainLine(line: string): string {
  const afterCr = line.includes('\r') ? (line.split('\r').filter((s) => s.length > 0).at(-1) ?? '') : line;
  return afterCr
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, '');
}
