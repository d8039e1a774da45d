// The passphrase of an encrypted identity file, asked on the terminal as ssh does
// ("Enter passphrase for key '…': ", nothing echoed), for headless commands (run, check).
// Without a terminal there is nobody to ask: no asker, and the SSH client says what to do.
// The text typed lives only in this closure until it is handed to the key parser.
import type { PassphraseAsker } from '../ssh/identity';

export function terminalPassphrase(opts: { stdin?: NodeJS.ReadStream; out?: NodeJS.WritableStream } = {}): PassphraseAsker | undefined {
  const stdin = opts.stdin ?? process.stdin;
  if (!stdin.isTTY) return undefined;
  const out = opts.out ?? process.stderr;
  // One question at a time: two hosts sharing a key ask once (the shell dedupes by file).
  let queue: Promise<unknown> = Promise.resolve();
  const ask: PassphraseAsker = ({ path, attempt }) => {
    const answer = queue.then(
      () =>
        new Promise<string | undefined>((resolve) => {
          if (attempt > 1) out.write('Bad passphrase, try again.\n');
          out.write(`Enter passphrase for key '${path}': `);
          const wasRaw = stdin.isRaw === true;
          stdin.setRawMode(true);
          stdin.resume();
          let typed: string[] = [];
          const finish = (value: string | undefined): void => {
            stdin.off('data', onData);
            stdin.setRawMode(wasRaw);
            stdin.pause();
            out.write('\n');
            resolve(value);
          };
          const onData = (chunk: Buffer | string): void => {
            for (const ch of String(chunk)) {
              if (ch === '\r' || ch === '\n') return finish(typed.join(''));
              if (ch === '\u0003' || (ch === '\u0004' && typed.length === 0)) return finish(undefined); // Ctrl-C, Ctrl-D
              if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
              else if (ch === '\u0015') typed = []; // Ctrl-U
              else if (ch >= ' ') typed.push(ch);
            }
          };
          stdin.on('data', onData);
        }),
    );
    queue = answer.catch(() => undefined);
    return answer;
  };
  return ask;
}
