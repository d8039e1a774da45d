// Checks `poll` repeats after a box reboot (R-RUN-1 L3): `ssh-connect` (an SSH session opens,
// seed 000's `ssh -o ConnectTimeout=5 ... "echo OK"` without running anything) and
// `host-health` (every service of the host that has a health URL answers it).
import type { HostHealthCheck, SshConnectCheck } from '../schema';
import { checkHttp, registerCheckKind, sshFailure, type StepResult } from '../step-kinds';

function seconds(s: number): string {
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

registerCheckKind<SshConnectCheck>('ssh-connect', {
  async run(check, ctx): Promise<StepResult> {
    const timeoutMs = Math.round(check.timeout_s * 1000);
    // probe() has its own deadline; this one stops waiting if it does not keep it.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ ok: false; error: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `no SSH session within ${seconds(check.timeout_s)}` }), timeoutMs + 2000);
      timer.unref?.();
    });
    try {
      const res = await Promise.race([ctx.shell.probe(check.host!, timeoutMs), late]);
      if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
      if (res.ok) return { outcome: 'ok', message: `SSH to ${check.host} is back` };
      return { outcome: 'failed', message: `ssh ${check.host}: ${res.error}`, ...('trust' in res && res.trust ? { trust: res.trust } : {}) };
    } catch (err) {
      return sshFailure(err, `ssh ${check.host}: `);
    } finally {
      clearTimeout(timer);
    }
  },
  describe: (check, ctx) => `ssh ${ctx.hosts.get(check.host!)?.user ?? 'root'}@${check.host}: open a session (connect timeout ${seconds(check.timeout_s)})`,
});

registerCheckKind<HostHealthCheck>('host-health', {
  async run(check, ctx): Promise<StepResult> {
    const services = (ctx.services ?? []).filter((s) => s.host === check.host && s.health_url);
    if (services.length === 0) {
      return { outcome: 'failed', message: `no service on host ${check.host} has a health_url in the config; add one so recovery can be verified` };
    }
    const failures: string[] = [];
    const passed: string[] = [];
    for (const s of services) {
      const res = await checkHttp({ kind: 'http', url: s.health_url!, method: 'GET', timeout_s: check.timeout_s, expect_status: s.expected_status }, ctx);
      if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
      if (res.outcome === 'ok') passed.push(s.name);
      else failures.push(`${s.name}: ${res.message}`);
    }
    if (failures.length > 0) return { outcome: 'failed', message: failures.join('; ') };
    return { outcome: 'ok', message: `${passed.join(', ')} healthy` };
  },
  describe: (check) => `http GET the health_url of every service on ${check.host} → expect each one's expected_status (timeout ${seconds(check.timeout_s)})`,
});
