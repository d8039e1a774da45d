// A child process serving N loopback HTTP endpoints (one server each, like N hosts); every
// `hangEvery`-th never answers. Prints {"ports":[...]} on stdout, exits when stdin closes.
import { createServer } from 'node:http';

const n = Number(process.argv[2] ?? 1000);
const hangEvery = Number(process.argv[3] ?? 10);
const ports = [];
const servers = [];
for (let i = 0; i < n; i++) {
  const hang = hangEvery > 0 && i % hangEvery === hangEvery - 1;
  const server = createServer((req, res) => {
    if (hang) return; // held open: the prober's timeout must end it
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  ports.push(server.address().port);
  servers.push(server);
}
process.stdout.write(JSON.stringify({ ports }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
// Never outlive a crashed bench.
setTimeout(() => process.exit(0), 10 * 60_000).unref();
