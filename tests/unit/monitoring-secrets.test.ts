// The PagerDuty routing key and the Alertmanager receiver's token are secrets (R-MON-2/3): the
// audit log masks them like the webhook URLs and the provider key.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { configSecrets } from '../../src/cli/context';
import { loadConfig } from '../../src/config/load';

const dir = mkdtempSync(join(tmpdir(), 'doai-mon-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('monitoring secrets', () => {
  it('masks the routing key and the receiver token in audit lines', () => {
    const path = join(dir, 'console.yaml');
    writeFileSync(
      path,
      `notifications:
  webhooks:
    - { name: pd, format: pagerduty, routing_key_env: DOAI_T_PD }
alertmanager: { token_env: DOAI_T_AM }
paths: { state_dir: ${join(dir, 'state')} }
`,
    );
    const env = { DOAI_T_PD: ' R0UTING0123456789abcdef ', DOAI_T_AM: 'amtoken-0123456789' };
    const loaded = loadConfig(path, { env: {}, home: dir });
    const log = new AuditLog(join(dir, 'emergency.log'), { secrets: () => configSecrets(loaded, env) });
    log.append('ALERTS', 'key R0UTING0123456789abcdef and token amtoken-0123456789', new Date(0));
    const written = readFileSync(join(dir, 'emergency.log'), 'utf8');
    expect(written).not.toContain('R0UTING0123456789abcdef');
    expect(written).not.toContain('amtoken-0123456789');
    expect(written).toContain('key *** and token ***');
  });
});
