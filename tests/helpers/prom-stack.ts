// Real Prometheus and Alertmanager for tests: started on loopback ports with their data in a
// temp folder the caller removes; stopped (SIGTERM, then SIGKILL) by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './sshd';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

export interface StackProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

function startProcess(bin: string, args: string[], url: string, ready: string): Promise<StackProcess> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d) => (text = (text + String(d)).slice(-20_000)));
  child.stderr?.on('data', (d) => (text = (text + String(d)).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: StackProcess = {
    url,
    log: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return (async () => {
    const end = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}: ${text}`);
      try {
        const r = await fetch(`${url}${ready}`);
        if (r.ok) return proc;
      } catch {
        // not up yet
      }
      if (Date.now() > end) {
        await proc.stop();
        throw new Error(`${bin} not ready after 30 s: ${text}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
}

/** Prometheus scraping `target` (host:port) every second; config and TSDB under dir. */
export async function startPrometheus(dir: string, target: string): Promise<StackProcess> {
  mkdirSync(join(dir, 'tsdb'), { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: doai\n    static_configs:\n      - targets: ['${target}']\n`);
  const port = await freePort();
  return startProcess(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], `http://127.0.0.1:${port}`, '/-/ready');
}

/** Alertmanager sending every alert to `webhookUrl` with a bearer token; short group waits. */
export async function startAlertmanager(dir: string, webhookUrl: string, token: string): Promise<StackProcess> {
  mkdirSync(join(dir, 'am'), { recursive: true });
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: doai',
      '  group_by: [alertname, service]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: doai',
      '    webhook_configs:',
      `      - url: '${webhookUrl}'`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: '${token}'`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  return startProcess(ALERTMANAGER, [`--config.file=${config}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], `http://127.0.0.1:${port}`, '/-/ready');
}
