// The L2/L3 step kinds' format (R-RUN-3): when:/unless:, snapshot files, provider-reboot and the
// new poll checks validate with located errors; the built-in L2/L3 load; escalation targets.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import { escalationOffer } from '../../src/runbook/escalation';
import { parseRunbook } from '../../src/runbook/loader';
import { skipReason } from '../../src/runbook/render';
import { snapshotCommand } from '../../src/runbook/step-kinds/snapshot';
import { builtinRunbook } from '../helpers/recovery-rig';

const head = `id: t
level: L3
audit_name: T
title: { ko: t, en: t }
approval: auto
target: host
steps:
`;

function problems(steps: string): string[] {
  const r = parseRunbook(head + steps, 'x.yaml');
  return r.ok ? [] : r.problems;
}

describe('recovery step kinds: format', () => {
  it('accepts snapshot, provider-reboot, ssh-connect and host-health with when/unless', () => {
    expect(
      problems(`  - id: snap
    kind: snapshot
    files: [{ name: ps.txt, run: "ps aux" }]
  - id: reboot
    kind: provider-reboot
    when: host.provider
  - id: manual
    kind: confirm
    unless: host.provider
    prompt: { ko: "재부팅", en: "Reboot {{host.name}}" }
  - id: wait
    kind: poll
    attempts: 60
    interval_s: 10
    check: { kind: ssh-connect, timeout_s: 5 }
  - id: verify
    kind: poll
    attempts: 12
    interval_s: 10
    check: { kind: host-health }
`),
    ).toEqual([]);
  });

  it('rejects an unknown condition, a path-like snapshot file name and duplicate names, each located', () => {
    expect(problems(`  - id: r\n    kind: provider-reboot\n    when: host.cloud\n`)).toEqual([
      expect.stringMatching(/^x\.yaml:10:11: steps\[0\]\.when: expected "host\.provider", found "host\.cloud"/),
    ]);
    expect(problems(`  - id: s\n    kind: snapshot\n    files: [{ name: ../../etc/passwd, run: "cat x" }]\n`)).toEqual([
      expect.stringMatching(/steps\[0\]\.files\[0\]\.name: expected a file name of letters, digits, \. _ -/),
    ]);
    expect(problems(`  - id: s\n    kind: snapshot\n    files: [{ name: a, run: x }, { name: a, run: y }]\n`)).toEqual([expect.stringMatching(/steps\[0\]\.files: expected unique file names/)]);
    expect(problems(`  - id: s\n    kind: snapshot\n    files: []\n`)).toEqual([expect.stringMatching(/steps\[0\]\.files/)]);
  });

  it('the built-in L2 and L3 load with seed 000 audit names and escalation', () => {
    const l2 = builtinRunbook('l2-service-reset');
    expect(l2).toMatchObject({ level: 'L2', audit_name: 'L2_SERVICE_RESET', approval: 'code', target: 'service', on_failure: { audit: 'FAILED - Escalate to L3', escalate_to: 'l3-box-reset' } });
    expect(l2.steps.map((s) => s.audit).filter(Boolean)).toEqual(['SNAPSHOT_SAVED', 'SERVICES_STOPPED', 'CACHE_CLEARED', 'SERVICES_RESTARTED']);
    const l3 = builtinRunbook('l3-box-reset');
    expect(l3).toMatchObject({ level: 'L3', audit_name: 'L3_BOX_RESET', approval: 'two-step', target: 'host' });
    expect(l3.steps.find((s) => s.id === 'backup')?.may_fail).toBe(true);
    expect(l3.on_failure.message?.en).toMatch(/manual inspection required; contact provider support/);
  });
});

describe('when / unless', () => {
  const withProvider = configSchema.parse({ hosts: [{ name: 'vm', address: '127.0.0.1', provider: { kind: 'vultr', instance_id: 'i', api_key_env: 'K' } }] }).hosts[0];
  const without = configSchema.parse({ hosts: [{ name: 'vm', address: '127.0.0.1' }] }).hosts[0];
  const l3 = builtinRunbook('l3-box-reset');
  const api = l3.steps.find((s) => s.id === 'reboot-api')!;
  const manual = l3.steps.find((s) => s.id === 'reboot-manual')!;

  it('with a provider the API step runs and the manual one is skipped; without, the reverse', () => {
    expect(skipReason(api, { host: withProvider })).toBeUndefined();
    expect(skipReason(manual, { host: withProvider })).toBe('skipped: a provider API is configured for the host');
    expect(skipReason(api, { host: without })).toBe('skipped: only when a provider API is configured for the host (it is not)');
    expect(skipReason(manual, { host: without })).toBeUndefined();
  });
});

describe('snapshot command', () => {
  it('keeps `a || b` inside the redirect and quotes the path', () => {
    expect(snapshotCommand("/var/log/doai/snapshots/2026 x'y", { name: 'ports.txt', run: 'ss -tlnp 2>/dev/null || netstat -tlnp' })).toBe(
      `sh -c 'ss -tlnp 2>/dev/null || netstat -tlnp' > '/var/log/doai/snapshots/2026 x'\\''y/ports.txt'`,
    );
  });
});

describe('escalationOffer', () => {
  const config = configSchema.parse({ hosts: [{ name: 'vm', address: '127.0.0.1' }], services: [{ name: 'api', host: 'vm', unit: 'api' }] });
  const books = new Map(['l1-soft-reset', 'l2-service-reset', 'l3-box-reset'].map((id) => [id, builtinRunbook(id)] as const));
  const get = (id: string) => books.get(id);

  it('L1 → L2 on the same service; L2 → L3 on the service host; nothing without escalate_to', () => {
    expect(escalationOffer(config, get, { escalateTo: 'l2-service-reset', target: 'api' })).toEqual({ runbook: 'l2-service-reset', target: 'api' });
    expect(escalationOffer(config, get, { escalateTo: 'l3-box-reset', target: 'api' })).toEqual({ runbook: 'l3-box-reset', target: 'vm' });
    expect(escalationOffer(config, get, { target: 'api' })).toBeUndefined();
    expect(escalationOffer(config, get, { escalateTo: 'l9-nope', target: 'api' })).toBeUndefined();
  });
});
