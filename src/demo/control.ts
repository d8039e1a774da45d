// `doai-console demo fault <name> --config <path>`: talks to a running demo fleet from another
// process through the control endpoint named in the demo config and the token file beside it.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { parse } from 'yaml';
import { DEMO_FILES } from './layout';
import { isFaultName, unknownFaultMessage } from './faults';

/** A problem the operator can fix (wrong path, fleet not running, bad fault name). */
export class DemoControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoControlError';
  }
}

const HINT = 'start the fleet with `doai-console demo --serve` and pass the config path it prints';

async function controlTarget(configPath: string): Promise<{ url: string; token: string }> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    throw new DemoControlError(`cannot read the demo config ${configPath} (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${HINT}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new DemoControlError(`${configPath} is not valid YAML (${(e as Error).message.split('\n')[0]}): ${HINT}`);
  }
  const url = (doc as { demo?: { control_url?: unknown } } | null)?.demo?.control_url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new DemoControlError(`${configPath} is not a demo config (it has no demo.control_url): ${HINT}`);
  }
  const tokenPath = join(dirname(configPath), DEMO_FILES.controlToken);
  let token: string;
  try {
    const st = await stat(tokenPath);
    // R-SEC-3: a secret readable by others is refused rather than silently used.
    if ((st.mode & 0o077) !== 0) throw new DemoControlError(`${tokenPath} is readable by other users: run \`chmod 600 ${tokenPath}\` and retry`);
    token = (await readFile(tokenPath, 'utf8')).trim();
  } catch (e) {
    if (e instanceof DemoControlError) throw e;
    throw new DemoControlError(`cannot read the demo control token ${tokenPath} (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${HINT}`);
  }
  return { url: url.replace(/\/+$/, ''), token };
}

async function call(configPath: string, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const { url, token } = await controlTarget(configPath);
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url + path, { method, headers: { 'x-doai-token': token }, signal: AbortSignal.timeout(5_000) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).name;
    throw new DemoControlError(`no demo fleet answers at ${url} (${code}): it is not running any more; ${HINT}`);
  }
  const text = await res.body.text();
  let body: { error?: string } & Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A non-JSON reply is reported by status below.
  }
  if (res.statusCode === 403) throw new DemoControlError(`the demo fleet at ${url} refused the token in ${DEMO_FILES.controlToken}: the config belongs to an older demo run; ${HINT}`);
  if (res.statusCode !== 200) throw new DemoControlError(body.error ?? `the demo fleet answered HTTP ${res.statusCode}`);
  return body;
}

/** Injects a fault into the running demo fleet described by the config at configPath. */
export async function sendFault(configPath: string, name: string): Promise<void> {
  if (!isFaultName(name)) throw new DemoControlError(unknownFaultMessage(name));
  await call(configPath, 'POST', `/fault/${encodeURIComponent(name)}`);
}

/** The running fleet's simulation state (end-to-end tests read it). */
export async function fetchDemoState(configPath: string): Promise<Record<string, unknown>> {
  return (await call(configPath, 'GET', '/state')) as Record<string, unknown>;
}

// The demo's provider API key has one reader, with the owner-only mode check (R-SEC-3).
export { readDemoProviderKey, DemoProviderKeyError } from './provider-key';
