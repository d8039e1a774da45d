// Value patterns shared by the config schema (zod) and code that must not load zod (the runbook
// parameter checks the console's screens use before the first frame).

/** A systemd unit name, e.g. `doai-orchestrator` or `getty@tty1.service`. */
export const UNIT_NAME = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/;
