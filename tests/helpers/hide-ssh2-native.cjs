// Preload (node --require) that makes ssh2 run as it does where its optional native parts were
// never built (npm without install scripts, no compiler): requiring the crypto addon
// (sshcrypto.node) or cpu-features fails as a missing module does, so ssh2 falls back to Node's
// own crypto. `.ci/run` runs the SSH suites once more with it (DOAI_TEST_SSH2_NATIVE=hidden), and
// tests/integration/ssh2-native-addon.test.ts proves inside that run that the addon really is gone.
'use strict';
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function hideSsh2Native(request, ...rest) {
  if (/(^|[\\/])sshcrypto\.node$/.test(request) || request === 'cpu-features') {
    const err = new Error(`Cannot find module '${request}' (hidden by tests/helpers/hide-ssh2-native.cjs)`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolveFilename.call(this, request, ...rest);
};
