// undici is ~1 MB bundled and ~100 ms to load; the console's first frame needs no request, so the
// modules on its start path (node sources, WebSocket checks, webhooks, the provider) load it here
// on first use.
type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

export function loadUndici(): Promise<Undici> {
  // Bundled, a CommonJS module's dynamic import may expose its exports only on `default`.
  loading ??= import('undici').then((m) => ((m as Partial<Undici>).request ? m : (m as unknown as { default: Undici }).default));
  return loading;
}
