// A process that holds PgLockStore locks for tests (run with tsx): one command per stdin line,
// one JSON answer per stdout line. `acquire <target> <runId> <atEpochMs>` waits until that wall
// time first, so two drivers ask at the same instant. `release-acquire` and `release-exit` release and at once
// take the target again / end the process.
import { createInterface } from 'node:readline';
import { PgLockStore } from '../../src/state/pg-locks';
import { resolvePgUrl } from '../../src/state/pg-url';

const r = resolvePgUrl('DOAI_PG_URL');
if (!r.ok) throw new Error(r.error);
const store = new PgLockStore(r.target);
const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, target = '', runId = '', at] = line.trim().split(' ');
  const go = () => {
    try {
      if (cmd === 'acquire') {
        const res = store.acquire(target, { operator: `op-${process.pid}`, runbook: 'l1-soft-reset', level: 'L1', since: new Date().toISOString(), runId });
        out(res.ok ? { ok: true } : { ok: false, message: res.message, hint: res.hint });
      } else if (cmd === 'release') {
        store.release(target, runId);
        out({ ok: true });
      } else if (cmd === 'release-acquire') {
        // `release-acquire <target> <runId> <newRunId>`: release, then take the target again right behind it.
        store.release(target, runId);
        const res = store.acquire(target, { operator: `op-${process.pid}`, runbook: 'l1-soft-reset', level: 'L1', since: new Date().toISOString(), runId: at! });
        out(res.ok ? { ok: true } : { ok: false, message: res.message, hint: res.hint });
      } else if (cmd === 'release-exit') {
        // `release-exit <target> <runId>`: release and end the process at once.
        store.release(target, runId);
        process.exit(0);
      } else if (cmd === 'holder') {
        out({ ok: true, holder: store.holder(target) ?? null });
      } else out({ ok: false, message: `unknown command ${cmd}` });
    } catch (err) {
      out({ ok: false, error: (err as Error).message });
    }
  };
  const wait = at && cmd === 'acquire' ? Number(at) - Date.now() : 0;
  if (wait > 0) setTimeout(go, wait);
  else go();
});
out({ ready: true, pid: process.pid });
