// One connection that LISTENs on a channel for a store that reads the database synchronously
// (incidents, checklists): each notification (debounced) and each (re)connection calls the
// listeners, who then read what changed. A lost connection is made again every second while anyone
// listens. `pg` is loaded on first use, so a console on the files backend never loads the driver.
import type { Client } from 'pg';
import { createRequire } from 'node:module';
import type { PgTarget } from './pg-url';

const RELISTEN_MS = 1000;

export class PgListener {
  private readonly listeners = new Set<() => void>();
  private client: Client | undefined;
  private relisten: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lostSince: number | undefined;

  /**
   * The listening connection was lost (or could not be made) and is not back yet: the database is
   * away, as far as this box can tell without waiting. Synchronous callers fail at once then
   * instead of blocking the server's event loop for a connection timeout each time.
   */
  get down(): boolean {
    return this.lostSince !== undefined;
  }

  constructor(
    private readonly target: PgTarget,
    private readonly channel: string,
    private readonly name: string,
    private readonly timeoutMs: number,
  ) {}

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    void this.listen();
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) this.close();
    };
  }

  private fire(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      for (const l of [...this.listeners]) l();
    }, 20);
    this.debounce.unref?.();
  }

  private async listen(): Promise<void> {
    if (this.client || !this.listeners.size) return;
    const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
    const c = new pg.Client({ connectionString: this.target.url, connectionTimeoutMillis: this.timeoutMs, application_name: this.name, keepAlive: true });
    this.client = c;
    const drop = () => {
      if (this.client !== c) return;
      this.client = undefined;
      this.lostSince ??= Date.now();
      void c.end().catch(() => undefined);
      this.scheduleRelisten();
    };
    c.on('error', drop);
    c.on('end', drop);
    c.on('notification', (n) => {
      if (n.channel === this.channel) this.fire();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${this.channel}`);
      this.lostSince = undefined;
      // What changed while nobody listened (and what was kept while the database was away).
      this.fire();
    } catch {
      drop();
    }
  }

  private scheduleRelisten(): void {
    if (this.relisten || !this.listeners.size) return;
    this.relisten = setTimeout(() => {
      this.relisten = undefined;
      void this.listen();
    }, RELISTEN_MS);
    this.relisten.unref?.();
  }

  close(): void {
    this.listeners.clear();
    if (this.relisten) clearTimeout(this.relisten);
    this.relisten = undefined;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = undefined;
    this.lostSince = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) void c.end().catch(() => undefined);
  }
}
