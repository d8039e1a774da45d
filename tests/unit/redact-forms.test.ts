// Secrets read from the environment with surrounding whitespace (a leading space, a trailing CR/LF
// from a Windows-edited env file) are used trimmed: the trimmed value, the raw one, a webhook
// URL's token on its own and its URL-encoded form must all be masked (R-AUD-3).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { RunJournal } from '../../src/audit/journal';
import { redact } from '../../src/audit/redact';
import { loadConfig } from '../../src/config/load';
import { configSecrets } from '../../src/cli/context';
import { scrub } from '../../src/notify/webhook';

const dir = mkdtempSync(join(tmpdir(), 'doai-redact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

const TOKEN = 'XXXXsecretTOKEN1234xxxx';
const URL_USED = `https://hooks.slack.com/services/T000/B000/${TOKEN}`;
const KEY_USED = 'VULTRKEY-abcdef0123456789';

function loaded() {
  const path = join(dir, 'console.yaml');
  writeFileSync(
    path,
    `hosts:
  - name: box
    address: 127.0.0.1
    provider: { kind: vultr, instance_id: i-1, api_key_env: DOAI_T_KEY }
notifications:
  webhooks:
    - { name: ops, url_env: DOAI_T_HOOK }
paths: { state_dir: ${join(dir, 'state')} }
`,
  );
  return loadConfig(path, { env: {}, home: dir });
}

describe('secrets with surrounding whitespace', () => {
  const env = { DOAI_T_KEY: ` ${KEY_USED}\r\n`, DOAI_T_HOOK: `  ${URL_USED}\n` };
  const leaks = [
    `key ${KEY_USED} in an error`,
    `POST ${URL_USED} failed`,
    `token ${TOKEN} alone`,
    `encoded ${encodeURIComponent(URL_USED)} in a query string`,
    `raw ${env.DOAI_T_KEY}`,
  ];

  it('the audit log and the journal mask the used (trimmed) value, the raw one, the token alone and the URL-encoded URL', () => {
    const secrets = () => configSecrets(loaded(), env);
    const log = new AuditLog(join(dir, 'emergency.log'), { secrets });
    for (const line of leaks) log.append('L3_BOX_RESET', line, new Date(0));
    const journal = new RunJournal(join(dir, 'journal'), 'r1', { secrets });
    for (const line of leaks) journal.record({ type: 'step.output', runId: 'r1', stepId: 's', stream: 'stdout', line, at: new Date(0) });
    journal.close();
    const written = readFileSync(join(dir, 'emergency.log'), 'utf8') + readFileSync(journal.path, 'utf8');
    for (const secret of [KEY_USED, URL_USED, TOKEN, encodeURIComponent(URL_USED), encodeURIComponent(TOKEN)]) expect(written).not.toContain(secret);
    expect(written).toContain('key *** in an error');
    expect(written).toContain('token *** alone');
  });

  it('redact masks each form; words of the URL path and its host stay readable', () => {
    const out = redact(`see https://hooks.slack.com/ and /services/T000 then ${TOKEN}`, [`\t${URL_USED}\r\n`]);
    expect(out).toBe('see https://hooks.slack.com/ and /services/T000 then ***');
    expect(redact(`q=${encodeURIComponent(`https://x.example/hook?token=abcdefgh12345678`)}`, ['https://x.example/hook?token=abcdefgh12345678 '])).toBe('q=***');
  });

  it('a webhook error is scrubbed of the token, trimmed or not, plain or URL-encoded', () => {
    const text = `failed ${URL_USED} (${encodeURIComponent(TOKEN + '/')}) ${TOKEN}`;
    const clean = scrub(text, ` ${URL_USED}\r\n`);
    expect(clean).not.toContain(TOKEN);
    expect(clean).toContain('https://hooks.slack.com/…');
  });
});
