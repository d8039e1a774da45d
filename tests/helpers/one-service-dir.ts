// A folder for a built `serve` that needs a config but no reachable fleet: one host and one service
// on a closed loopback port, every path (state, known_hosts, audit log, approvals) inside the folder,
// the socket at <dir>/run/console.sock. The folder is 0711 so a console of another user (nobody)
// reaches the socket's folder; the test removes it (rmSync) in its afterAll.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function oneServiceDir(prefix: string): { dir: string; config: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  const config = join(dir, 'console.yaml');
  writeFileSync(
    config,
    stringify({
      hosts: [{ name: 'h', address: '127.0.0.1', port: 9 }],
      services: [{ name: 'svc-a', host: 'h', health_url: 'http://127.0.0.1:9/health' }],
      paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts'), audit_log: join(dir, 'emergency.log'), approvals_dir: join(dir, 'approvals') },
    }),
  );
  return { dir, config, socket: join(dir, 'run', 'console.sock') };
}
