// `doai-console operator enroll <name>` (R-ID-3): a TOTP secret for an approver of the config,
// written owner-only in the server's state folder (run it as the server's user), shown once as an
// otpauth:// URI and a QR code for their authenticator app. Nothing else keeps the secret.
import QRCode from 'qrcode';
import type { LoadedConfig } from '../config/load';
import { loadDirectory } from '../operators/server-gate';
import { enrol, TotpError } from '../operators/totp';
import { UserError } from './exit';

export async function runOperatorEnroll(loaded: LoadedConfig, name: string, opts: { replace?: boolean; out?: NodeJS.WritableStream } = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const directory = loadDirectory(loaded);
  if (!loaded.config.operators) throw new UserError(`no operators section in ${loaded.path}: declare ${name} there (with the approver role) first`, 2);
  const op = directory.byOperatorName(name);
  if (!op) throw new UserError(`no operator named "${name}" in ${loaded.path} (operators.people)`, 2);
  if (!op.roles.has('approver')) throw new UserError(`${op.name} does not have the approver role: a one-time password only approves — add approver to their roles first`, 2);
  let enrolled: { uri: string; path: string };
  try {
    enrolled = enrol(loaded.paths.stateDir, op.name, { replace: opts.replace === true });
  } catch (err) {
    if (err instanceof TotpError) throw new UserError(err.message, 1);
    throw err;
  }
  const qr = await QRCode.toString(enrolled.uri, { type: 'utf8', errorCorrectionLevel: 'M' });
  out.write(
    `Enrolled ${op.name} for one-time passwords (RFC 6238, 6 digits, 30 s). Scan this with their authenticator app, then clear the screen:\n\n` +
      `${qr}\n${enrolled.uri}\n\n` +
      `The secret is kept only in ${enrolled.path} (owner-only). To approve by phone, the requester types ${op.name} and the app's current code into the approval form.\n`,
  );
  return 0;
}
