// The commented starter config `doai-console init` writes (R-CFG-4). Numbers are seed 000's
// defaults; addresses are placeholders (example.internal, documentation ranges) so nothing real
// is contacted until the operator edits them. A test parses it against the schema.

const STARTER = `# doai-console configuration (YAML).
# Validate it with \`doai-console check\`; every problem is reported as file:line:col.
# Unknown keys are errors (they are usually typos). Relative paths resolve against this file's
# directory; ~ is your home directory.

# Health checks (seed 000: /health every 30 s, 10 s timeout, DOWN after 3 failures in a row).
health:
  interval_s: 30          # seconds between probes of each service
  timeout_s: 10           # a probe that takes longer counts as a failure ("timeout after 10 s")
  failure_threshold: 3    # consecutive failures before a service is DOWN (the first one is SUSPECT)
  concurrency: 256        # probes running at once, at most (hung ones hold a slot until the timeout)

# Device nodes (seed 000: offline after 5 min without heartbeat; error-rate alert above 10 %).
nodes:
  offline_after_s: 300
  error_rate_alert: 0.1   # fraction: 0.1 = 10 %
  mass_offline_ratio: 0.3 # this share of nodes offline at once points to L2 Service Reset
  # interval_s: 30        # how often node sources are polled (default: health.interval_s)

# Machines reached over SSH. Host keys are checked against known_hosts; unknown keys are refused.
hosts:
  - name: orchestrator-vm
    address: orchestrator.example.internal   # DNS name or IP (e.g. the Tailscale address)
    port: 22
    user: root
    agent: true                              # use ssh-agent; or set identity_file instead
    # identity_file: ~/.ssh/id_ed25519
    # jump: bastion                          # another host declared here, used as ProxyJump
    # known_hosts: ~/.ssh/known_hosts        # per-host override of paths.known_hosts (or a list)
    # strict_host_key_checking: ask          # ask (refuse unknown unless --accept-new) | accept-new | no | yes
    # provider:                              # lets L3 Box Reset reboot through the provider API
    #   kind: vultr
    #   instance_id: 00000000-0000-0000-0000-000000000000
    #   api_key_env: VULTR_API_KEY           # name of the environment variable holding the key
    snapshot_dir: /var/log/doai/snapshots    # where L2 saves its snapshot on the host
    backup_dir: /var/backups/doai            # where L3 saves its best-effort backup

# Host checks (seed 004's df / free checks; seed 002: disk over 80 % flagged).
host_checks:
  interval_s: 30          # SSH reachability probe of every host
  metrics_interval_s: 60  # one SSH command reading /proc/loadavg, free -m and df -P
  timeout_s: 10
  disk_alert: 0.8         # fraction: 0.8 = 80 %

# Services: what runs on a host, how to restart it, and how to tell it is healthy.
services:
  - name: doai-orchestrator
    host: orchestrator-vm                    # must name a host above
    kind: orchestrator                       # what it is: runbooks fit kinds (default systemd; also
                                             # proxy, pm2, postgres, nginx, sqlite, compose, git, [pm2, git])
    proxy: caddy                             # the service in front of it (L2 stops and starts it)
    unit: doai-orchestrator                  # systemd unit (or use commands: below)
    # commands: { start: "...", stop: "...", restart: "...", status: "..." }
    health_url: https://orchestrator.example.internal/health
    websocket_url: wss://orchestrator.example.internal/ws
    expected_status: 200
    slow_ms: 5000                            # slower than 5 s is SLOW (seed 000: L1 Soft Reset)
    app_dir: /opt/aifarm                     # L2 clears __pycache__ under it
  - name: caddy
    host: orchestrator-vm
    kind: proxy
    unit: caddy
    # no health_url: shown as UNKNOWN, never probed

# Where the node list comes from: an HTTP endpoint returning nodes with an id and a heartbeat.
node_sources:
  - name: orchestrator-nodes
    url: https://orchestrator.example.internal/nodes
    list_path: nodes                         # dotted path to the array; "" for a top-level array
    fields:
      id: id
      last_heartbeat: last_heartbeat
      # error_rate: error_rate               # or errors + requests
      # labels: labels

# Alert rules (seed 000). Notifications go to the webhooks below and are recorded.
alerts:
  - name: orchestrator_down
    kind: service_down
    services: [doai-orchestrator]            # the alert is named after its rule: this one is the orchestrator's
    threshold: 3                             # consecutive failures
    action: notify_oncall
  - name: service_down                       # every service no other service_down rule names (caddy)
    kind: service_down
    threshold: 3
    action: notify_oncall
  - name: node_offline
    kind: node_offline
    action: auto_reconnect
    # runbook: reconnect-nodes               # the runbook auto_reconnect starts (none: recorded only)
    # target: doai-orchestrator              # its target (default: the first service)
  - name: device_error_rate
    kind: device_error_rate
    threshold: 0.1                           # 10 %
    action: notify_and_isolate

# Extra runbook and checklist files or directories (YAML), beside the built-in ones.
runbooks: []
checklists: []

# Names of the people who may approve L2 / L3 runs.
approvers: []

# Per level: "declared" takes a name typed into the requester's own form (with the code shown
# there); "proven" only another OS user's \`doai-console approve <id>\` (the requester cannot fake it).
approval:
  L2: declared
  L3: proven
  approver_role: []       # e.g. [L3]: every L3 step needs an operator with the approver role

# Operators and roles (serve and serve --ssh): who is who, by OS user or SSH key, and what they
# may do (viewer: look; operator: start, cancel, sign, isolate; approver: approve others' runs).
# Without this section every local user is an operator, as before. Uncomment to enforce roles;
# an identity nobody claims gets \`unknown\` (viewer, or refused).
# operators:
#   unknown: viewer
#   people:
#     - name: orion
#       os_users: [orion]
#       keys: ["ssh-ed25519 AAAA… orion@laptop"]   # or keys_file: keys/orion.pub
#       roles: [operator]
#     - name: bob
#       keys_file: keys/bob.pub
#       roles: [approver]

# Escalation matrix (seeds 001, 002, 004): who to call, from how many minutes into an incident.
contacts:
  - name: On-call engineer
    role: first response
    reach: "#ops-oncall"
    from_min: 0
  - name: Team lead
    role: escalation
    reach: "+82-10-0000-0000"
    from_min: 30

# Slack-compatible webhooks. The URL is a secret: from an environment variable or a file only
# you can read (mode 0600), never written here.
notifications:
  webhooks:
    - name: ops-slack
      url_env: DOAI_SLACK_WEBHOOK_URL
      timeout_s: 5
      retries: 2

# Alertmanager's webhook, served by \`doai-console serve --metrics\` at POST /api/alertmanager.
# Alertmanager sends this bearer token (http_config.authorization.credentials); it is a secret:
# from the environment only. symptoms: label matchers → what the level recommendation knows
# (host_unreachable → L3 on that configured host; db_failing → L2 on the primary service).
alertmanager:
  token_env: DOAI_ALERTMANAGER_TOKEN
  max_body_bytes: 4194304
  open_incidents: true
  symptoms:
    - match: { alertname: HostDown }
      symptom: host_unreachable
      target_label: host

# Planned maintenance: the service's alerts are muted (not notified) from \`from\` to \`until\`, and the
# wall screen says so. \`m\` on a service in the console starts a 30-minute window with a reason.
maintenance: []
  # - service: doai-orchestrator
  #   from: 2026-03-01T02:00:00+09:00
  #   until: 2026-03-01T04:00:00+09:00
  #   reason: kernel upgrade

# Local files. Defaults live under $XDG_STATE_HOME/doai-console (~/.local/state/doai-console).
paths: {}
  # audit_log: ~/.local/state/doai-console/emergency.log
  # journal_dir: ~/.local/state/doai-console/journal
  # snapshots_dir: ~/.local/state/doai-console/snapshots
  # incidents_dir: ~/.local/state/doai-console/incidents
  # known_hosts: ~/.ssh/known_hosts

# Recovery time objective in minutes, shown against the incident clock.
rto_min: 120

# An incident is resolved when its target stays UP this long after the last recovery; a relapse
# inside it reopens the same incident.
resolve_settle_s: 300

# Where shared state lives. \`files\` (this box only) is the default. \`postgres\` lets the servers
# on several jump boxes act as one (one leader evaluates alerts and sends notifications); the
# connection URL is a secret, read from the environment variable named here.
state:
  backend: files
  # backend: postgres
  # url_env: DOAI_PG_URL      # postgres://user:password@db.example.internal:5432/doai
`;

export function starterConfig(): string {
  return STARTER;
}
