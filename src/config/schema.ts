// The one YAML file (R-CFG-1). Every object is strict: an unknown key is a typo and an error
// (R-CFG-3). Defaults are seed 000's numbers (R-CFG-2).
import { z } from 'zod';
import { alertmanagerSchema, maintenanceSchema } from './alertmanager';
import { UNIT_NAME } from './patterns';
import { operatorsSchema } from '../operators/schema';
import { BOX_NAME, parsePeerKey } from '../state/peer-keys';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a name of letters, digits, . _ @ -');
/** systemd unit names: letters, digits, ":-_.\@" (systemd.unit(5)); no leading dash. */
export const unitName = z.string().regex(UNIT_NAME, 'a systemd unit name');
// Every number is bounded, and the message says why (issue 11: a 1e23 s timeout overflowed a
// timer and marked healthy services DOWN; a 0.1 ms interval opened hundreds of connections).
/** Time between probes or polls: at least 1 s (faster floods the targets), at most a day. */
const interval = z.number().min(1, 'at least 1 s: a shorter interval floods the targets with probes').max(86_400, 'at most 86400 s (a day): longer is never checking');
/** How long one probe or request may take: at most 1 h (a timer that long is a hang, not a wait). */
const timeout = z.number().min(0.1, 'at least 0.1 s: shorter fails every probe').max(3600, 'at most 3600 s (1 h): longer hides a hang');
/** Free text the operator wrote (users, addresses, paths, people): no control characters (NUL, ESC, newlines). */
// eslint-disable-next-line no-control-regex
const anyText = z.string().regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'text without control characters (NUL, escape, newline…)');
const text = anyText.min(1);
// z.url() alone accepts any scheme ("htp:/x" parses as a URL); probes and APIs need http(s).
const httpUrl = z.url({ protocol: /^https?$/, error: 'a URL (http:// or https://)' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'a URL (ws:// or wss://)' });

export const providerSchema = z.strictObject({
  kind: z.literal('vultr'),
  instance_id: text,
  /** Name of the environment variable holding the API key; the key itself never sits in config. */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
  base_url: httpUrl.default('https://api.vultr.com'),
});

export const hostSchema = z.strictObject({
  name,
  address: text,
  port: z.number().int().min(1).max(65535).default(22),
  user: text.default('root'),
  identity_file: anyText.optional(),
  agent: z.boolean().default(false),
  jump: anyText.optional(),
  /**
   * Per-host known_hosts file, or several (all are read, new keys go to the first); defaults to
   * paths.known_hosts, then ssh_config's UserKnownHostsFile, then ~/.ssh/known_hosts.
   */
  known_hosts: z.union([anyText, z.array(anyText).min(1)]).optional(),
  /**
   * OpenSSH's StrictHostKeyChecking for this host (ssh_config hosts take it from `ssh -G`):
   * `ask` (default) refuses an unknown key unless --accept-new, `accept-new` and `no` record it,
   * `yes` refuses it even with --accept-new. A changed key is refused in every mode.
   */
  strict_host_key_checking: z.enum(['yes', 'accept-new', 'no', 'ask']).optional(),
  provider: providerSchema.optional(),
  /** Where the L2 snapshot is saved on the host. */
  snapshot_dir: anyText.default('/var/log/doai/snapshots'),
  backup_dir: anyText.default('/var/backups/doai'),
  /**
   * Take HostName, User, Port, IdentityFile and ProxyJump from ~/.ssh/config (through `ssh -G`):
   * true uses `address` as the alias, a string names the alias. Keys written here win.
   */
  ssh_config: z.union([z.boolean(), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'an ssh_config Host alias')]).optional(),
});

// A shell command may span lines (tab, newline); any other control character is a paste accident.
// eslint-disable-next-line no-control-regex
const command = z.string().min(1).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$/, 'a command without control characters other than tab and newline');

export const serviceCommandsSchema = z.strictObject({
  start: command.optional(),
  stop: command.optional(),
  restart: command.optional(),
  status: command.optional(),
});

/**
 * What a service is, so runbooks can say what they fit (a `fits:` list in the runbook): seed 000's
 * `orchestrator` and its `proxy`, a `pm2` app, a `postgres` database, `nginx`, `sqlite`,
 * `compose`, a `git` checkout, or any other lowercase name your own runbooks use. Default
 * `systemd`: a plain unit that L1's `systemctl restart` fits and nothing more.
 */
export const SERVICE_KIND = /^[a-z][a-z0-9-]*$/;
export const serviceKind = z.string().regex(SERVICE_KIND, 'a service kind such as orchestrator, proxy, pm2, postgres, nginx, sqlite, compose, git');
export const DEFAULT_SERVICE_KIND = 'systemd';

export const serviceSchema = z.strictObject({
  name,
  host: name,
  /** One kind or several (`[pm2, git]`: a pm2 app deployed from a git checkout). */
  kind: z.union([serviceKind, z.array(serviceKind).min(1)]).default(DEFAULT_SERVICE_KIND),
  /** The orchestrator's reverse proxy: the name of another service on the same host (L2 stops and starts it). */
  proxy: name.optional(),
  unit: unitName.optional(),
  commands: serviceCommandsSchema.optional(),
  health_url: httpUrl.optional(),
  websocket_url: wsUrl.optional(),
  expected_status: z.number().int().min(100).max(599).default(200),
  /** Latency above this is SLOW (seed 000: API slow above 5 s). */
  slow_ms: z.number().int().positive().max(3_600_000, 'at most 3600000 ms (1 h)').default(5000),
  /** Application directory whose __pycache__ the L2 reset clears. */
  app_dir: anyText.default('/opt/aifarm'),
  /**
   * Where this service's backups are written and how old the newest may be (its RPO; seed 002:
   * 24 h, seed 003: 1 h). `check`, the hosts pane, the wall screen and the checklist's "backups
   * present" flag a folder whose newest match is older than rpo_h, or that has none.
   */
  backups: z
    .array(
      z.strictObject({
        dir: z.string().regex(/^\/[^\n]*$/, 'an absolute folder path'),
        /** find -name pattern of the backup files, e.g. chromadb_*_full.tar.gz. */
        pattern: z.string().regex(/^[^/\n]+$/, 'a file name pattern without /').default('*'),
        rpo_h: z.number().positive().max(24 * 366).default(24),
      }),
    )
    .default([]),
});

export const nodeSourceSchema = z.strictObject({
  name,
  url: httpUrl,
  /** Dotted path to the array in the response, empty for a top-level array. */
  list_path: anyText.default('nodes'),
  fields: z
    .strictObject({
      id: anyText.default('id'),
      last_heartbeat: anyText.default('last_heartbeat'),
      error_rate: anyText.optional(),
      errors: anyText.optional(),
      requests: anyText.optional(),
      labels: anyText.optional(),
    })
    .default({ id: 'id', last_heartbeat: 'last_heartbeat' }),
});

export const alertRuleSchema = z.strictObject({
  name,
  kind: z.enum(['service_down', 'node_offline', 'device_error_rate']),
  /** service_down: consecutive failures; device_error_rate: fraction (0.1 = 10 %). */
  threshold: z.number().positive().max(1000, 'at most 1000').optional(),
  action: z.enum(['notify_oncall', 'auto_reconnect', 'notify_and_isolate', 'none']).default('notify_oncall'),
  /** Runbook id run by auto_reconnect / isolate, if any. */
  runbook: anyText.optional(),
  /** The runbook's target (a service or host name); default: the first service declared. */
  target: name.optional(),
  /** service_down only: the services it watches; default every service no other service_down rule names. */
  services: z.array(name).optional(),
});

export const webhookSchema = z.strictObject({
  name,
  /**
   * The receiver's shape (R-MON-3): slack `{"text"}` (default), discord `{"content"}`, pagerduty
   * (Events API v2: trigger / acknowledge / resolve with a stable dedup_key), json (the generic
   * schema in README "Notifications").
   */
  format: z.enum(['slack', 'discord', 'pagerduty', 'json']).default('slack'),
  /** The URL is a secret: from an environment variable or an owner-only file, never inline. */
  url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  url_file: anyText.optional(),
  /** pagerduty only: the Events API URL, not a secret (default https://events.pagerduty.com/v2/enqueue). */
  url: httpUrl.optional(),
  /** pagerduty only: the integration's routing key, a secret, from this variable. */
  routing_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  /** Only these alert rules go here (per-rule routing); default every rule. */
  rules: z.array(z.string().min(1).max(200)).optional(),
  timeout_s: timeout.default(5),
  retries: z.number().int().min(0).max(10).default(2),
})
  .refine((w) => w.format === 'pagerduty' || (w.url_env ? 1 : 0) + (w.url_file ? 1 : 0) === 1, {
    message: 'exactly one of url_env or url_file (the webhook URL is a secret: never inline)',
    path: ['url_env'],
  })
  .refine((w) => w.format !== 'pagerduty' || (w.routing_key_env !== undefined && !w.url_env && !w.url_file), {
    message: 'a pagerduty receiver needs routing_key_env (the routing key is the secret) and takes url (default https://events.pagerduty.com/v2/enqueue), not url_env/url_file',
    path: ['routing_key_env'],
  })
  .refine((w) => w.format === 'pagerduty' || (w.url === undefined && w.routing_key_env === undefined), {
    message: 'url and routing_key_env are for format: pagerduty only',
    path: ['url'],
  });

export const contactSchema = z.strictObject({
  name: text,
  role: text,
  reach: text.optional(),
  /** Escalation band in minutes from incident start (seed 002: 0–30, 30–60, 60–120, 120+). */
  from_min: z.number().min(0).max(10_080, 'at most 10080 min (a week)').default(0),
});

export const pathsSchema = z.strictObject({
  audit_log: anyText.optional(),
  journal_dir: anyText.optional(),
  snapshots_dir: anyText.optional(),
  incidents_dir: anyText.optional(),
  state_dir: anyText.optional(),
  known_hosts: anyText.optional(),
  /**
   * Shared sticky directory (mode 1777, owned by root) where approval requests and approvals
   * from other OS users meet (R-APR-4); default /var/lib/doai-console/approvals.
   */
  approvals_dir: anyText.optional(),
  /** The OpenSSH client config that hosts with ssh_config read (default: ssh's own, ~/.ssh/config). */
  ssh_config: anyText.optional(),
});

export const configSchema = z.strictObject({
  health: z
    .strictObject({
      interval_s: interval.default(30),
      timeout_s: timeout.default(10),
      failure_threshold: z.number().int().min(1).max(100, 'at most 100 failures in a row').default(3),
      // 128: a sweep of 1,000 services with 100 hung ends in about one timeout (bench: probe-sweep.mjs); 16 took 7.
      concurrency: z.number().int().min(1).max(512).default(256),
    })
    .default({ interval_s: 30, timeout_s: 10, failure_threshold: 3, concurrency: 256 }),
  nodes: z
    .strictObject({
      offline_after_s: z.number().min(1, 'at least 1 s').max(604_800, 'at most 604800 s (a week): a node silent longer is gone, not late').default(300),
      error_rate_alert: z.number().min(0).max(1).default(0.1),
      /** Share of nodes offline at once that points to L2 (seed 000: many nodes offline). */
      mass_offline_ratio: z.number().min(0).max(1).default(0.3),
      /** How often node sources are polled; default health.interval_s. */
      interval_s: interval.optional(),
    })
    .default({ offline_after_s: 300, error_rate_alert: 0.1, mass_offline_ratio: 0.3 }),
  hosts: z.array(hostSchema).default([]),
  /** R-HLT-4: SSH reachability every interval_s, load/memory/disk every metrics_interval_s (clock time). */
  host_checks: z
    .strictObject({
      interval_s: interval.default(30),
      metrics_interval_s: interval.default(60),
      timeout_s: timeout.default(10),
      /** Disk use above this share is flagged (seed 002: 80 %). */
      disk_alert: z.number().min(0).max(1).default(0.8),
    })
    .default({ interval_s: 30, metrics_interval_s: 60, timeout_s: 10, disk_alert: 0.8 }),
  services: z.array(serviceSchema).default([]),
  node_sources: z.array(nodeSourceSchema).default([]),
  alerts: z.array(alertRuleSchema).optional(),
  /** Extra runbook files or directories (YAML), beside the built-ins in actions/. */
  runbooks: z.array(anyText).default([]),
  checklists: z.array(anyText).default([]),
  approvers: z.array(text).default([]),
  /**
   * R-APR-6, per level: `declared` accepts a name typed into the requester's own form (with the
   * code); `proven` only an identity the requester cannot fake (another OS user's
   * `doai-console approve`). Defaults: L2 declared (seed 000), L3 proven.
   */
  approval: z
    .strictObject({
      L2: z.enum(['declared', 'proven']).default('declared'),
      L3: z.enum(['declared', 'proven']).default('proven'),
      /** Levels whose every step needs an operator with the approver role (operators section): e.g. [L3]. */
      approver_role: z.array(z.enum(['L2', 'L3'])).default([]),
    })
    .default({ L2: 'declared', L3: 'proven', approver_role: [] }),
  contacts: z.array(contactSchema).default([]),
  /** Operators, their OS users and SSH keys, and roles (R-ID-1); absent: every local user is an operator. */
  operators: operatorsSchema.optional(),
  notifications: z.strictObject({ webhooks: z.array(webhookSchema).default([]) }).default({ webhooks: [] }),
  /** The Alertmanager webhook receiver of `serve --metrics` (R-MON-2); absent: POST /api/alertmanager is 404. */
  alertmanager: alertmanagerSchema.optional(),
  /** Planned maintenance windows: the service's alerts are muted while one runs (R-MON-3). */
  maintenance: z.array(maintenanceSchema).max(500).default([]),
  paths: pathsSchema.default({}),
  /** Recovery time objective in minutes, shown against the incident clock. */
  rto_min: z.number().positive().max(10_080, 'at most 10080 min (a week)').default(120),
  /** Seconds a recovered target must stay UP before its incident counts as resolved; a relapse inside it reopens the incident. */
  resolve_settle_s: z.number().min(0).max(86_400, 'at most 86400 s (a day): longer never resolves').default(300),
  /**
   * Where shared state lives (R-HA-1): `files` (default, this box only) or `postgres`, so servers on
   * several jump boxes act as one. The connection URL is a secret: it is read from the environment
   * variable `url_env` names, never written here.
   */
  state: z
    .strictObject({
      backend: z.enum(['files', 'postgres']).default('files'),
      url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').default('DOAI_PG_URL'),
      /**
       * How long a run waits before its next step while the database does not answer (the lock is
       * confirmed before every step after the first); then it ends INTERRUPTED.
       */
      unreachable_wait_s: z.number().min(1, 'at least 1 s').max(3600, 'at most 3600 s (an hour): a run that long without its lock confirmed is better ended').default(120),
      /** This box's name for the other boxes (their `peers` key, the audit line's "on <box>"); default: the hostname. */
      box_name: z.string().regex(BOX_NAME, 'a box name of letters, digits, . _ - (at most 63)').optional(),
      /** The Ed25519 key this server signs cross-box approvals with (made on first start, owner-only); default `<state_dir>/state-server-ed25519.key`. */
      server_key_file: anyText.min(1).optional(),
      /** The other boxes whose approvals this server takes: box name → public key (base64 SPKI, as their `serve` logs it). */
      peers: z
        .record(
          z.string().regex(BOX_NAME, 'a box name of letters, digits, . _ - (at most 63)'),
          z.string().superRefine((v, ctx) => {
            try {
              parsePeerKey(v);
            } catch (err) {
              ctx.addIssue({ code: 'custom', message: `an Ed25519 public key, base64 as the other box's serve logs it (this one: ${(err as Error).message})` });
            }
          }),
        )
        .default({}),
    })
    .default({ backend: 'files', url_env: 'DOAI_PG_URL', unreachable_wait_s: 120, peers: {} }),
  /** Set by `demo --serve` only: waits are divided by this factor, and the screen says so. */
  demo: z.strictObject({ time_scale: z.number().min(1).max(1000), control_url: httpUrl }).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
