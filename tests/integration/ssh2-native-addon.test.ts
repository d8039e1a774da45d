// Which crypto ssh2 runs on in this test run. `.ci/run` runs the SSH suites a second time with
// ssh2's optional native addon hidden (tests/helpers/hide-ssh2-native.cjs preloaded,
// DOAI_TEST_SSH2_NATIVE=hidden); this file is in that run and proves the addon was really gone
// there. In a plain run it checks that ssh2's own report matches whether the addon loads here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ssh2Dir = dirname(require.resolve('ssh2/package.json'));
const addonPath = join(ssh2Dir, 'lib/protocol/crypto/build/Release/sshcrypto.node');

function loads(id: string): boolean {
  try {
    require(id);
    return true;
  } catch {
    return false;
  }
}

describe('ssh2 native crypto addon', () => {
  const { bindingAvailable } = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };

  if (process.env.DOAI_TEST_SSH2_NATIVE === 'hidden') {
    it('is hidden in this run: ssh2 uses Node crypto although the addon may be built', () => {
      expect(bindingAvailable).toBe(false);
      expect(loads(addonPath)).toBe(false);
      expect(loads('cpu-features')).toBe(false);
      // The worker processes that ran the other suites got the same preload.
      expect(process.env.NODE_OPTIONS ?? '').toContain('hide-ssh2-native.cjs');
    });
  } else {
    it("ssh2's report matches whether the addon loads on this machine", () => {
      expect(bindingAvailable).toBe(existsSync(addonPath) && loads(addonPath));
    });
  }
});
