// The interactive console's passphrase questions (issue 12 item 17): the SSH client asks for an
// encrypted identity file's passphrase through `ask`, the console shows one masked prompt at a
// time ("Enter passphrase for key '…':"), and the answer goes straight back to the client. The
// text typed is kept only by the prompt while it is open; nothing here stores it.
import { BatchedStore } from './store';
import type { PassphraseAsker, PassphraseRequest } from '../ssh/identity';

export class PassphrasePrompts extends BatchedStore<PassphraseRequest | undefined> {
  private readonly queue: { request: PassphraseRequest; resolve(value: string | undefined): void }[] = [];

  constructor() {
    super(undefined, 0);
  }

  /** For the SSH shell: resolves with what the operator typed, or undefined when they declined (Esc). */
  ask: PassphraseAsker = (request) =>
    new Promise<string | undefined>((resolve) => {
      this.queue.push({ request: { host: request.host, path: request.path, attempt: request.attempt }, resolve });
      if (this.queue.length === 1) this.set(this.queue[0]!.request);
    });

  /** The screen's answer to the question shown: the passphrase, or undefined to decline. */
  answer(value: string | undefined): void {
    const head = this.queue.shift();
    if (!head) return;
    head.resolve(value);
    this.set(this.queue[0]?.request);
  }

  /** The console is going away: every question still open is declined. */
  declineAll(): void {
    while (this.queue.length) this.answer(undefined);
  }
}
