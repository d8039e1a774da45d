// A child process simulating the watch benchmark's fleet on one loopback port: /svc/<i> health for
// N services and /nodes listing M nodes with heartbeats. Every second 1 % of each changes: one
// service in a hundred flips between 200 and 503, one node in a hundred goes stale or comes back.
// Prints {"port":…}; exits when stdin closes.
import { createServer } from 'node:http';

const services = Number(process.argv[2] ?? 100);
const nodes = Number(process.argv[3] ?? 10_000);
const down = new Set();
const stale = new Set();
let tick = 0;
setInterval(() => {
  tick++;
  const flip = (set, n, count) => {
    for (let k = 0; k < count; k++) {
      const i = (tick * 7919 + k * 104729) % n;
      if (set.has(i)) set.delete(i);
      else set.add(i);
    }
  };
  flip(down, services, Math.max(1, Math.round(services / 100)));
  flip(stale, nodes, Math.max(1, Math.round(nodes / 100)));
}, 1000).unref();

const server = createServer((req, res) => {
  if (req.url === '/nodes') {
    const now = Date.now();
    const list = [];
    for (let i = 0; i < nodes; i++) {
      list.push({ id: `node-${String(i).padStart(5, '0')}`, last_heartbeat: new Date(now - (stale.has(i) ? 3_600_000 : 5_000)).toISOString() });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ nodes: list }));
  }
  const i = Number(req.url?.split('/')[2]);
  res.writeHead(down.has(i) ? 503 : 200, { 'content-type': 'text/plain' });
  res.end(down.has(i) ? 'down' : 'ok');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), 10 * 60_000).unref();
