// One `serve --ssh` rig for a whole e2e file (tests/helpers/ssh-console.ts's sshRig): made and
// started before the file's tests, the tmux terminals a test opened killed after it, the server
// and its folder gone after the file. Registers the hooks where it is called (a file's top level).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTmux, type TmuxSession } from './tmux';
import { sshRig, type SshPerson, type SshRig } from './ssh-console';

export interface SshRigFile {
  /** The started rig (set once the file's beforeAll ran). */
  rig(): SshRig;
  /** A terminal of cols × rows running cmd (e.g. rig.ssh(name, { tty: true })), HOME the rig's folder; killed after the test. */
  term(cmd: string, cols: number, rows: number): TmuxSession;
}

export function sshRigForFile(
  people: SshPerson[],
  opts: Parameters<typeof sshRig>[1] = {},
  how: {
    /** Called with the rig before its server starts (edit its config, keep the rig in a variable). */
    prepare?: (rig: SshRig) => void;
    /** Extra `serve` arguments. */
    serveArgs?: string[];
  } = {},
): SshRigFile {
  let rig: SshRig | undefined;
  const terms: TmuxSession[] = [];

  beforeAll(async () => {
    rig = await sshRig(people, opts);
    how.prepare?.(rig);
    await rig.start(how.serveArgs);
  }, 60_000);

  afterEach(() => {
    for (const t of terms.splice(0)) t.kill();
  });

  afterAll(async () => {
    await rig?.stop();
  });

  const started = (): SshRig => {
    if (!rig) throw new Error('the SSH rig is made in beforeAll: use it inside a test');
    return rig;
  };
  return {
    rig: started,
    term(cmd, cols, rows) {
      const t = startTmux(cmd, { cols, rows, env: { HOME: started().base } });
      terms.push(t);
      return t;
    },
  };
}
