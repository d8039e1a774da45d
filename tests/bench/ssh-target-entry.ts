// The SSH host of the log-streaming benchmark, run in its own process: the tests' ssh2 server
// (tests/helpers/ssh-server.ts). `systemctl status …` prints LINES lines (flow-controlled), every
// other command succeeds at once. Prints {"ready":…} first, then {"end":<ms epoch>} when the
// long command has exited; exits when stdin closes.
import { writeFileSync } from 'node:fs';
import { startTestSshServer } from '../helpers/ssh-server';

const lines = Number(process.argv[2] ?? 100_000);
const keyOut = process.argv[3];
// Pause between 1,000-line chunks: a long command, so keys can be timed while it streams.
const paceMs = Number(process.argv[4] ?? 0);
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
const server = await startTestSshServer({
  onExec: async (ctx) => {
    if (!/^systemctl status /.test(ctx.command)) return ctx.exit(0);
    const width = String(lines).length;
    for (let i = 1; i <= lines; i += 1000) {
      let chunk = '';
      for (let j = i; j < Math.min(i + 1000, lines + 1); j++) {
        chunk += `line ${String(j).padStart(width, '0')} ${j === lines ? 'end-of-stream' : 'streaming output of a long command'}\n`;
      }
      if (!ctx.channel.write(chunk)) await new Promise((r) => ctx.channel.once('drain', r));
      if (paceMs) await ctx.sleep(paceMs);
    }
    ctx.exit(0);
    say({ end: Date.now() });
  },
});
writeFileSync(keyOut, server.clientKey.private, { mode: 0o600 });
say({ ready: true, port: server.port, knownHostsLine: server.knownHostsLine });
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}
setTimeout(() => process.exit(0), 10 * 60_000).unref();
void main();
