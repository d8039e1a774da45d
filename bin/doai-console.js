#!/usr/bin/env node
// Ink's colour library ignores NO_COLOR; FORCE_COLOR=0 must be set before it loads.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
process.env.NODE_ENV = 'production';
// With CI or CONTINUOUS_INTEGRATION set, Ink draws only the last frame (is-in-ci, read when Ink
// loads): a console opened from such a shell, or every SSH session of a server started with it,
// stayed blank. What this program draws is always for a terminal, so neither applies here.
for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) if (name in process.env) process.env[name] = 'false';
await import('../dist/start.js');
