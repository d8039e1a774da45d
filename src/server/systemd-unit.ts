// The unit `doai-console serve --print-systemd-unit` prints: the server as its own system user,
// state in the system state folder (/var/lib/doai-console via StateDirectory and XDG_STATE_HOME),
// the socket in /run/doai-console (RuntimeDirectory, 0755: consoles may enter, only the server
// writes). SIGTERM drains (runs recorded INTERRUPTED), so a stop or restart is clean.
import { DEFAULT_SOCKET, SERVER_USER } from '../protocol/socket-path';

export function systemdUnit(opts: { node: string; bin: string; config?: string }): string {
  const config = opts.config ?? '/etc/doai-console/console.yaml';
  return `# doai-console server. Install:
#   useradd --system --home-dir /var/lib/${SERVER_USER} --shell /usr/sbin/nologin ${SERVER_USER}
#   doai-console serve --print-systemd-unit > /etc/systemd/system/doai-console.service
#   systemctl daemon-reload && systemctl enable --now doai-console
# Consoles then attach to ${DEFAULT_SOCKET} by themselves (\`doai-console status\` says so).
[Unit]
Description=doai-console server (probes, alerts, runbooks, approvals, audit log)
Documentation=man:doai-console(1)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${SERVER_USER}
Group=${SERVER_USER}
ExecStart=${opts.node} ${opts.bin} serve --config ${config} --socket ${DEFAULT_SOCKET}
Environment=XDG_STATE_HOME=/var/lib
Environment=NO_COLOR=1
StateDirectory=${SERVER_USER}
StateDirectoryMode=0750
RuntimeDirectory=${SERVER_USER}
RuntimeDirectoryMode=0755
UMask=0027
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=2
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}
