// Which build speaks on either end of the socket. A console and a server from different builds may
// disagree about any snapshot shape, so they refuse each other in words instead of guessing.
declare const __DOAI_VERSION__: string | undefined;
declare const __DOAI_BUILD_ID__: string | undefined;

/** Bumped when a message shape changes incompatibly. 2: console output as per-run deltas. 3: the nodes topic
 *  as deltas (changed nodes only) and the `resync` frame. 4: the fleet topic (services) as deltas.
 *  5: one-round-trip handshake (the console names its own proof and subscribes in `auth`). 6: a changed
 *  service in a fleet delta carries only what changed: new fields, fields gone, samples appended. */
export const PROTOCOL = 6;

export interface WireVersion {
  protocol: number;
  /** package.json version */
  version: string;
  /** Hash of the sources the bundle was built from; 'dev' when run from source. */
  build: string;
}

export const THIS_BUILD: WireVersion = {
  protocol: PROTOCOL,
  version: typeof __DOAI_VERSION__ === 'string' ? __DOAI_VERSION__ : '0.0.0-dev',
  build: typeof __DOAI_BUILD_ID__ === 'string' ? __DOAI_BUILD_ID__.slice(0, 12) : 'dev',
};

export function describeVersion(v: WireVersion): string {
  return `${v.version} (build ${v.build}, protocol ${v.protocol})`;
}

/** Undefined when the two can talk; otherwise the sentence both sides print. */
export function versionMismatch(server: WireVersion, client: WireVersion): string | undefined {
  if (server.protocol === client.protocol && server.build === client.build) return undefined;
  return `server is version ${describeVersion(server)}, this console ${describeVersion(client)}: install the same doai-console build on both sides (restart the server after an upgrade)`;
}
