// Starts the server's HTTP side for `serve --metrics ADDR`: /metrics (R-MON-1) on a private
// registry fed by the server's stores and engine. Kept apart from serve.ts, which only calls it.
import { UserError } from '../cli/exit';
import type { ServerLog } from './log';
import type { Config } from '../config/schema';
import type { AlertsStoreHandle } from '../health/alerts-store';
import { ALERTMANAGER_PATH, alertmanagerReceiver, type AlertmanagerReceiverOptions } from './http-alertmanager';
import { createMetrics, type MetricsSources, type ServerMetrics } from './metrics';
import { isLoopback, parseListenAddress, startHttpListener, type HttpHandler, type HttpListener, type ListenAddress } from './http-listener';

export interface ServerHttp {
  metrics: ServerMetrics;
  listener: HttpListener;
  close(): Promise<void>;
}

/** The `--metrics` value, checked before the server takes its lock: a bad one is exit 2, in words. */
export function metricsAddress(flag: string | true): ListenAddress {
  try {
    return parseListenAddress(flag);
  } catch (err) {
    throw new UserError((err as Error).message, 2);
  }
}

export interface ReceiverParts {
  config: Pick<Config, 'alertmanager' | 'hosts' | 'services'>;
  alerts?: AlertsStoreHandle;
  incidents?: AlertmanagerReceiverOptions['incidents'];
}

export async function startServerHttp(addr: ListenAddress, sources: MetricsSources, log: ServerLog, receiver?: ReceiverParts): Promise<ServerHttp> {
  const metrics = createMetrics(sources);
  const extraRoutes: Record<string, HttpHandler> = {};
  const am = receiver?.config.alertmanager;
  if (am && receiver?.alerts) {
    extraRoutes[`POST ${ALERTMANAGER_PATH}`] = alertmanagerReceiver({
      config: am,
      alerts: receiver.alerts,
      incidents: receiver.incidents,
      hosts: receiver.config.hosts.map((h) => h.name),
      services: receiver.config.services.map((s) => s.name),
      log,
      count: (status) => metrics.alertmanagerReceived.inc({ status: String(status) }),
    });
  }
  const routes: Record<string, HttpHandler> = {
    'GET /metrics': async (_req, res) => {
      const body = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
    ...extraRoutes,
  };
  let listener: HttpListener;
  try {
    listener = await startHttpListener(addr, routes, log);
  } catch (err) {
    metrics.stop();
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`--metrics: cannot listen on ${addr.host}:${addr.port} (${code ?? (err as Error).message})${code === 'EADDRINUSE' ? ' — another process uses that port; give another one' : ''}`, 1);
  }
  const where = `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${listener.address.port}`;
  if (extraRoutes[`POST ${ALERTMANAGER_PATH}`]) log('info', `alertmanager receiver on http://${where}${ALERTMANAGER_PATH}`);
  log('info', `metrics on http://${where}/metrics${isLoopback(addr.host) ? '' : ' — NOT loopback: anyone who reaches this address can read them'}`);
  return {
    metrics,
    listener,
    async close() {
      await listener.close();
      metrics.stop();
    },
  };
}
