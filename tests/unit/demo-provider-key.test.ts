// The demo provider key has one reader (src/demo/provider-key.ts), used by the console's start-up
// (loadDemoSecrets) and by src/demo/control.ts: a key file readable by group or others is refused
// with a message naming the file, its mode and the chmod that fixes it (R-SEC-3).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDemoSecrets } from '../../src/cli/context';
import { UserError } from '../../src/cli/exit';
import type { LoadedConfig } from '../../src/config/load';
import * as control from '../../src/demo/control';
import { DemoProviderKeyError, readDemoProviderKey } from '../../src/demo/provider-key';

let dir = '';
let configPath = '';
let keyPath = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-demo-key-'));
  configPath = join(dir, 'console.yaml');
  keyPath = join(dir, 'provider.key');
});

afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function writeKey(mode: number, text = 'k3y-0123456789abcdef\n'): void {
  writeFileSync(keyPath, text, { mode });
  chmodSync(keyPath, mode); // the umask must not decide the bits under test
}

/** Only what loadDemoSecrets looks at: a demo config whose host has a provider key variable. */
function demoConfig(): LoadedConfig {
  return {
    path: configPath,
    config: { demo: { time_scale: 20, control_url: 'http://127.0.0.1:1' }, hosts: [{ name: 'demo-vm', provider: { api_key_env: 'DOAI_TEST_PROVIDER_KEY' } }] },
  } as unknown as LoadedConfig;
}

describe('demo provider key reader', () => {
  it('reads an owner-only key (0600 and 0400), trimmed', () => {
    writeKey(0o600);
    expect(readDemoProviderKey(configPath)).toBe('k3y-0123456789abcdef');
    writeKey(0o400);
    expect(readDemoProviderKey(configPath)).toBe('k3y-0123456789abcdef');
  });

  it('no key file, or an empty one: undefined (the provider step then says the key is missing)', () => {
    expect(readDemoProviderKey(configPath)).toBeUndefined();
    writeKey(0o600, '\n');
    expect(readDemoProviderKey(configPath)).toBeUndefined();
  });

  it.each([
    [0o644, '0644'],
    [0o640, '0640'],
    [0o604, '0604'],
    [0o660, '0660'],
  ])('refuses a key file readable or writable by group/others (mode %s)', (mode, shown) => {
    writeKey(mode);
    expect(() => readDemoProviderKey(configPath)).toThrow(DemoProviderKeyError);
    expect(() => readDemoProviderKey(configPath)).toThrow(
      `the demo provider key ${keyPath} is readable by other users (mode ${shown}), so it is not used: run \`chmod 600 ${keyPath}\` and start again`,
    );
  });

  it('refuses a symlink in place of the key file, even to an owner-only file', () => {
    const real = join(dir, 'elsewhere.key');
    writeFileSync(real, 'other\n', { mode: 0o600 });
    symlinkSync(real, keyPath);
    expect(() => readDemoProviderKey(configPath)).toThrow(/cannot read the demo provider key .*provider\.key \(ELOOP\)/);
  });

  it('refuses a directory in place of the key file', () => {
    mkdirSync(keyPath, { mode: 0o700 });
    expect(() => readDemoProviderKey(configPath)).toThrow(/is not a regular file: remove it and restart `doai-console demo --serve`/);
  });

  it('the demo control module uses the same reader (no second copy without the mode check)', () => {
    expect(control.readDemoProviderKey).toBe(readDemoProviderKey);
    writeKey(0o644);
    expect(() => control.readDemoProviderKey(configPath)).toThrow(/readable by other users \(mode 0644\)/);
  });

  it('console start-up: a group/world-readable key stops it with that message as a usage error, the key stays out of the environment', () => {
    writeKey(0o644);
    const env: NodeJS.ProcessEnv = {};
    let err: unknown;
    try {
      loadDemoSecrets(demoConfig(), env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toBe(
      `the demo provider key ${keyPath} is readable by other users (mode 0644), so it is not used: run \`chmod 600 ${keyPath}\` and start again`,
    );
    expect(env.DOAI_TEST_PROVIDER_KEY).toBeUndefined();
  });

  it('console start-up: an owner-only key is exported; a variable already set is left alone', () => {
    writeKey(0o600);
    const env: NodeJS.ProcessEnv = {};
    loadDemoSecrets(demoConfig(), env);
    expect(env.DOAI_TEST_PROVIDER_KEY).toBe('k3y-0123456789abcdef');
    // Set already: the file is not even read, so its mode does not matter.
    writeKey(0o644);
    const preset: NodeJS.ProcessEnv = { DOAI_TEST_PROVIDER_KEY: 'from-env' };
    loadDemoSecrets(demoConfig(), preset);
    expect(preset.DOAI_TEST_PROVIDER_KEY).toBe('from-env');
  });
});
