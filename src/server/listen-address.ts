// `--metrics` and `--ssh` take the same address forms: `PORT`, `HOST:PORT`, `[IPv6]:PORT`, or the
// flag alone for the default (loopback). Anything else is refused in words naming the flag.
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseAddressFlag(
  value: string | true,
  opts: { flag: string; host: string; port: number; minPort: number; error: (message: string) => Error },
): ListenAddress {
  if (value === true || value === '') return { host: opts.host, port: opts.port };
  const bad = (why: string) => opts.error(`${opts.flag} ${JSON.stringify(value)}: ${why} (expected PORT, HOST:PORT or [IPv6]:PORT, e.g. ${opts.host}:${opts.port})`);
  let host = opts.host;
  let portText = value;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) throw bad(`${host} is not an IPv6 address`);
  } else if (value.includes(':')) {
    const i = value.lastIndexOf(':');
    host = value.slice(0, i);
    portText = value.slice(i + 1);
    if (!host || host.includes(':')) throw bad('put an IPv6 address in brackets');
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad('the port is not a number');
  const port = Number(portText);
  if (port < opts.minPort || port > 65535) throw bad(`the port is out of range ${opts.minPort}..65535`);
  return { host, port };
}
