// One appender of the audit benchmark: `ours` goes through the console's AuditLog (open O_APPEND,
// one write, fsync, close per line); `plain` is appendFileSync + fsync on a kept descriptor.
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { AuditLog } from '../../src/audit/emergency-log';

const [mode, path, id, countText] = process.argv.slice(2);
const count = Number(countText);
const at = new Date('2026-01-04T06:30:00Z');
// A long-ish message so a torn write would show.
const pad = 'x'.repeat(120);
const t0 = performance.now();
if (mode === 'ours') {
  const log = new AuditLog(path);
  for (let i = 0; i < count; i++) log.append('BENCH', `writer=${id} seq=${i} ${pad}`, at);
} else {
  const fd = openSync(path, 'a');
  for (let i = 0; i < count; i++) {
    appendFileSync(fd, `[2026-01-04T15:30:00+09:00] BENCH: writer=${id} seq=${i} ${pad}\n`);
    fsyncSync(fd);
  }
  closeSync(fd);
}
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }) + '\n');
