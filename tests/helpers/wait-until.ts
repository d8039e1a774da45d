// Polls `probe` every `every` ms until it gives something truthy (returned), or throws after `ms`
// naming what it waited for. Bounded: every wait in the tests goes through a deadline.
export async function waitUntil<T>(what: string, probe: () => T | undefined | false | null, ms = 15_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
