// The SSH session's controls (src/server/ssh-control.ts): a viewer's sign-off or incident change
// is refused and audited before the store sees it; an operator's is carried out as that operator
// (the store's withOperator), not as the server's account.
import { describe, expect, it } from 'vitest';
import { gatedChecklists, gatedIncidents } from '../../src/server/ssh-control';
import { createIntentGate } from '../../src/operators/gate';
import { OperatorDirectory, type Principal } from '../../src/operators/directory';
import type { AuditLog } from '../../src/audit/emergency-log';
import type { ChecklistControl, IncidentControl } from '../../src/core/views';

function principal(name: string, roles: ('operator' | 'approver')[]): Principal {
  return { name, known: true, roles: new Set(['viewer', ...roles]), proof: { kind: 'ssh-key', fingerprint: `SHA256:${name}`, keyType: 'ssh-ed25519' } };
}

describe('SSH session controls', () => {
  it('sign and incident changes: viewer refused and audited; operator acts as themselves', () => {
    const access: string[] = [];
    const audit = { append: (_n: string, m: string) => (access.push(m), '') } as unknown as AuditLog;
    // The real gate writes the refusals; its check decides by the caller's roles here (the SSH
    // server resolves the key to these principals before any control is called).
    const gate = createIntentGate({ directory: new OperatorDirectory(undefined, '/'), audit, log: () => undefined, now: () => new Date() });
    const acting: string[] = [];
    let current = 'server';
    const store = {
      withOperator<T>(operator: string, fn: () => T): T {
        const before = current;
        current = operator;
        try {
          return fn();
        } finally {
          current = before;
        }
      },
      open: () => ({ ok: true as const, instanceId: 'i1' }),
      sign: () => (acting.push(`sign by ${current}`), { ok: true as const }),
      note: () => ({ ok: true as const }),
      undo: () => ({ ok: true as const }),
      openManual: () => (acting.push(`incident by ${current}`), { ok: true as const, id: 'x' }),
      setSeverity: () => ({ ok: true as const }),
      close: () => ({ ok: true as const, reportPath: '/x' }),
    };
    const checkGate = { ...gate, check: (intent: string) => gateFor(intent) };
    const who = { vic: principal('vic', []), alice: principal('alice', ['operator']) };
    let caller: Principal = who.vic;
    function gateFor(intent: string): Principal {
      if (intent.startsWith('checklist.') || intent.startsWith('incident.')) {
        if (!caller.roles.has('operator')) {
          gate.refuse(`REFUSED ${intent} by ${caller.name} - role viewer, needs operator`);
          throw new Error(`refused: ${intent} needs the operator role; ${caller.name} has role viewer`);
        }
      }
      return caller;
    }
    const asVic = { c: gatedChecklists(store as unknown as ChecklistControl, checkGate, who.vic), i: gatedIncidents(store as unknown as IncidentControl, checkGate, who.vic) };
    expect(asVic.c.sign('i1', 'item')).toEqual({ ok: false, error: { en: 'refused: checklist.sign needs the operator role; vic has role viewer', ko: 'refused: checklist.sign needs the operator role; vic has role viewer' } });
    expect(asVic.i.openManual('x')).toMatchObject({ ok: false });
    expect(acting).toEqual([]);
    expect(access).toEqual(['REFUSED checklist.sign by vic - role viewer, needs operator', 'REFUSED incident.open by vic - role viewer, needs operator']);
    caller = who.alice;
    const asAlice = { c: gatedChecklists(store as unknown as ChecklistControl, checkGate, who.alice), i: gatedIncidents(store as unknown as IncidentControl, checkGate, who.alice) };
    expect(asAlice.c.sign('i1', 'item')).toEqual({ ok: true });
    expect(asAlice.i.openManual('x')).toMatchObject({ ok: true });
    expect(acting).toEqual(['sign by alice', 'incident by alice']);
    expect(current).toBe('server');
  });
});
