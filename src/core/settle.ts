// An intent's answer, now or later (views.ts Answer): `then` runs at once for an answer in hand,
// so a console with its own engine behaves exactly as before, and after the reply for one that
// asks a server. A rejected request becomes `onError`'s value.
import type { Answer } from './views';

export function settle<T>(answer: Answer<T> | (() => Answer<T>), then: (value: T) => void, onError: (err: Error) => T): void {
  let value: Answer<T>;
  try {
    value = typeof answer === 'function' ? (answer as () => Answer<T>)() : answer;
  } catch (err) {
    then(onError(err instanceof Error ? err : new Error(String(err))));
    return;
  }
  if (value instanceof Promise) {
    value.then(then, (err: unknown) => then(onError(err instanceof Error ? err : new Error(String(err)))));
    return;
  }
  then(value);
}
