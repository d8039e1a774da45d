// The one YAML file (R-CFG-1). Every object is strict: an unknown key is a typo and an error
// (R-CFG-3). Defaults are seed 000's numbers (R-CFG-2).
import { z } from 'zod';
import { UNIT_NAME } from './patterns';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a name of letters, digits, . _ @ -');
/** systemd unit names: letters, digits, ":-_.\@" (systemd.unit(5)); no leading dash. */
export const unitName = z.string().regex(UNIT_NAME, 'a systemd unit name');
const seconds = z.number().positive();
// z.url() alone accepts any scheme ("htp:/x" parses as a URL); probes and APIs need http(s).
const httpUrl = z.url({ protocol: /^https?$/, error: 'a URL (http:// or https://)' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'a URL (ws:// or wss://)' });

export const providerSchema = z.strictObject({
  kind: z.literal('vultr'),
  instance_id: z.string().min(1),
  /** Name of the environment variable holding the API key; the key itself never sits in config. */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
  base_url: httpUrl.default('https://api.vultr.com'),
});

export const hostSchema = z.strictObject({
  name,
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  identity_file: z.string().optional(),
  agent: z.boolean().default(false),
  jump: z.string().optional(),
  /** Per-host known_hosts file; defaults to paths.known_hosts then ~/.ssh/known_hosts. */
  known_hosts: z.string().optional(),
  provider: providerSchema.optional(),
  /** Where the L2 snapshot is saved on the host. */
  snapshot_dir: z.string().default('/var/log/doai/snapshots'),
  backup_dir: z.string().default('/var/backups/doai'),
  /**
   * Take HostName, User, Port, IdentityFile and ProxyJump from ~/.ssh/config (through `ssh -G`):
   * true uses `address` as the alias, a string names the alias. Keys written here win.
   */
  ssh_config: z.union([z.boolean(), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'an ssh_config Host alias')]).optional(),
});

export const serviceCommandsSchema = z.strictObject({
  start: z.string().optional(),
  stop: z.string().optional(),
  restart: z.string().optional(),
  status: z.string().optional(),
});

export const serviceSchema = z.strictObject({
  name,
  host: name,
  unit: unitName.optional(),
  commands: serviceCommandsSchema.optional(),
  health_url: httpUrl.optional(),
  websocket_url: wsUrl.optional(),
  expected_status: z.number().int().min(100).max(599).default(200),
  /** Latency above this is SLOW (seed 000: API slow above 5 s). */
  slow_ms: z.number().int().positive().default(5000),
  /** Application directory whose __pycache__ the L2 reset clears. */
  app_dir: z.string().default('/opt/aifarm'),
});

export const nodeSourceSchema = z.strictObject({
  name,
  url: httpUrl,
  /** Dotted path to the array in the response, empty for a top-level array. */
  list_path: z.string().default('nodes'),
  fields: z
    .strictObject({
      id: z.string().default('id'),
      last_heartbeat: z.string().default('last_heartbeat'),
      error_rate: z.string().optional(),
      errors: z.string().optional(),
      requests: z.string().optional(),
      labels: z.string().optional(),
    })
    .default({ id: 'id', last_heartbeat: 'last_heartbeat' }),
});

export const alertRuleSchema = z.strictObject({
  name,
  kind: z.enum(['service_down', 'node_offline', 'device_error_rate']),
  /** service_down: consecutive failures; device_error_rate: fraction (0.1 = 10 %). */
  threshold: z.number().positive().optional(),
  action: z.enum(['notify_oncall', 'auto_reconnect', 'notify_and_isolate', 'none']).default('notify_oncall'),
  /** Runbook id run by auto_reconnect / isolate, if any. */
  runbook: z.string().optional(),
  /** The runbook's target (a service or host name); default: the first service declared. */
  target: name.optional(),
  /** service_down only: the services it watches; default every service. */
  services: z.array(name).optional(),
});

export const webhookSchema = z.strictObject({
  name,
  /** The URL is a secret: from an environment variable or an owner-only file, never inline. */
  url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  url_file: z.string().optional(),
  timeout_s: seconds.default(5),
  retries: z.number().int().min(0).max(10).default(2),
}).refine((w) => (w.url_env ? 1 : 0) + (w.url_file ? 1 : 0) === 1, {
  message: 'exactly one of url_env or url_file (the webhook URL is a secret: never inline)',
  path: ['url_env'],
});

export const contactSchema = z.strictObject({
  name: z.string().min(1),
  role: z.string().min(1),
  reach: z.string().optional(),
  /** Escalation band in minutes from incident start (seed 002: 0–30, 30–60, 60–120, 120+). */
  from_min: z.number().min(0).default(0),
});

export const pathsSchema = z.strictObject({
  audit_log: z.string().optional(),
  journal_dir: z.string().optional(),
  snapshots_dir: z.string().optional(),
  incidents_dir: z.string().optional(),
  state_dir: z.string().optional(),
  known_hosts: z.string().optional(),
  /**
   * Shared sticky directory (mode 1777, owned by root) where approval requests and approvals
   * from other OS users meet (R-APR-4); default /var/lib/doai-console/approvals.
   */
  approvals_dir: z.string().optional(),
  /** The OpenSSH client config that hosts with ssh_config read (default: ssh's own, ~/.ssh/config). */
  ssh_config: z.string().optional(),
});

export const configSchema = z.strictObject({
  health: z
    .strictObject({
      interval_s: seconds.default(30),
      timeout_s: seconds.default(10),
      failure_threshold: z.number().int().min(1).default(3),
      // 128: a sweep of 1,000 services with 100 hung ends in about one timeout (bench: probe-sweep.mjs); 16 took 7.
      concurrency: z.number().int().min(1).max(512).default(256),
    })
    .default({ interval_s: 30, timeout_s: 10, failure_threshold: 3, concurrency: 256 }),
  nodes: z
    .strictObject({
      offline_after_s: seconds.default(300),
      error_rate_alert: z.number().min(0).max(1).default(0.1),
      /** Share of nodes offline at once that points to L2 (seed 000: many nodes offline). */
      mass_offline_ratio: z.number().min(0).max(1).default(0.3),
      /** How often node sources are polled; default health.interval_s. */
      interval_s: seconds.optional(),
    })
    .default({ offline_after_s: 300, error_rate_alert: 0.1, mass_offline_ratio: 0.3 }),
  hosts: z.array(hostSchema).default([]),
  /** R-HLT-4: SSH reachability every interval_s, load/memory/disk every metrics_interval_s (clock time). */
  host_checks: z
    .strictObject({
      interval_s: seconds.default(30),
      metrics_interval_s: seconds.default(60),
      timeout_s: seconds.default(10),
      /** Disk use above this share is flagged (seed 002: 80 %). */
      disk_alert: z.number().min(0).max(1).default(0.8),
    })
    .default({ interval_s: 30, metrics_interval_s: 60, timeout_s: 10, disk_alert: 0.8 }),
  services: z.array(serviceSchema).default([]),
  node_sources: z.array(nodeSourceSchema).default([]),
  alerts: z.array(alertRuleSchema).optional(),
  /** Extra runbook files or directories (YAML), beside the built-ins in actions/. */
  runbooks: z.array(z.string()).default([]),
  checklists: z.array(z.string()).default([]),
  approvers: z.array(z.string().min(1)).default([]),
  contacts: z.array(contactSchema).default([]),
  notifications: z.strictObject({ webhooks: z.array(webhookSchema).default([]) }).default({ webhooks: [] }),
  paths: pathsSchema.default({}),
  /** Recovery time objective in minutes, shown against the incident clock. */
  rto_min: z.number().positive().default(120),
  /** Seconds a recovered target must stay UP before its incident counts as resolved; a relapse inside it reopens the incident. */
  resolve_settle_s: z.number().min(0).default(300),
  /** Set by `demo --serve` only: waits are divided by this factor, and the screen says so. */
  demo: z.strictObject({ time_scale: z.number().min(1).max(1000), control_url: httpUrl }).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
