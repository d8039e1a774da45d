#!/usr/bin/env node
// Ink's colour library ignores NO_COLOR; FORCE_COLOR=0 must be set before it loads.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
process.env.NODE_ENV = 'production';
await import('../dist/cli.js');
