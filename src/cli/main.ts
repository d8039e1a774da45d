// Command-line surface (R-UI-1). Every command takes --config; usage errors exit 2.
import { Command, CommanderError, Option } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { loadConfigAndText, resolveConfigPath } from '../config/load';
import type { Lang } from '../core/views';
import { loadFromFlags, type CommonFlags } from './flags';
import { EXIT_USAGE, UserError } from './exit';
import { reportError } from './report-error';
import { langOf } from './fast-start';
import { requireTty } from './interactive-guard';
import { VERSION } from './version';
import { FAULT_NAMES } from '../demo/faults';

interface AttachFlags {
  socket?: string;
  standalone?: boolean;
}

const FAULTS = FAULT_NAMES;


/** Where the server is, for commands that attach (R-SRV-2). */
function attachable(cmd: Command): Command {
  return cmd
    .option('--socket <path>', 'the server socket to attach to (default: $DOAI_CONSOLE_SOCKET, else /run/doai-console/console.sock when a server is there)')
    .option('--standalone', 'do not attach to a server: work on your own, as without one');
}

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <path>', 'config file (default: $DOAI_CONSOLE_CONFIG or ~/.config/doai-console/console.yaml)')
    .addOption(new Option('--lang <lang>', 'interface language').choices(['ko', 'en']));
}

// Subcommand modules are imported when their command runs (the bundle is split), so `--version`
// or `status` never pay for Ink, ssh2 or the engine, and the console's first frame pays only for
// what it draws.
async function interactive(flags: CommonFlags & AttachFlags & { acceptNew?: boolean }): Promise<number> {
  requireTty();
  // The engine and the rest are built after the first frame (runInteractive).
  const { loaded, text } = loadConfigAndText(resolveConfigPath({ flag: flags.config }));
  // The next start with this same file skips YAML and zod (src/cli/fast-start.ts). The writer is
  // imported here, not at the top: `watch` and the other commands never load it (R-UI-2).
  const { writeCachedConfig } = await import('../config/cache-write');
  writeCachedConfig(loaded, text);
  const { runInteractive } = await import('./interactive');
  return runInteractive(loaded, flags, { lang: langOf(flags) });
}

/** `--nodes N`: how many device nodes the demo's /nodes lists (R-HLT-8 at scale: 10000). */
function demoNodeCount(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 100_000) throw new UserError(`--nodes ${JSON.stringify(raw)}: expected a whole number from 0 to 100000, e.g. --nodes 10000`);
  return n;
}

async function demo(flags: CommonFlags & { serve?: boolean; nodes?: string; reset?: boolean }): Promise<number> {
  const { startDemoFleet } = await import('../demo/fleet');
  const nodeCount = demoNodeCount(flags.nodes);
  if (flags.serve) {
    if (flags.reset) throw new UserError('demo --reset empties the demo folder of `doai-console demo`; --serve always starts a fresh, separate fleet');
    const dir = mkdtempSync(join(tmpdir(), 'doai-demo-'));
    const fleet = await startDemoFleet({ dir, ...(nodeCount !== undefined ? { nodeCount } : {}) });
    process.stdout.write(`config: ${fleet.configPath}\n`);
    process.stdout.write(`Demo fleet running on 127.0.0.1 (waits compressed). Stop with Ctrl-C.\n`);
    process.stdout.write(`Open a console: doai-console --config ${fleet.configPath}\n`);
    process.stdout.write(`Inject a fault: doai-console demo fault <${FAULTS.join('|')}> --config ${fleet.configPath}\n`);
    await new Promise<void>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
    });
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    return 0;
  }
  requireTty();
  // One folder, kept: the audit log, journals and reports outlive the session, and an interrupted
  // run is offered for resume at the next start (src/demo/home.ts).
  const [{ claimDemoHome, demoHome }, { ensureApprovalsDir }, { DEFAULT_APPROVALS_DIR }] = await Promise.all([import('../demo/home'), import('../approval/requests'), import('../config/approvals-dir')]);
  const dir = demoHome();
  let release: () => void;
  try {
    release = claimDemoHome(dir, { reset: flags.reset === true });
  } catch (err) {
    throw new UserError(`doai-console demo: ${(err as Error).message}`);
  }
  // The machine's approvals directory when this user can use it (root, or it exists as 1777), so
  // the approve command the form prints works for any OS user without flags; else the folder's own.
  let machineApprovals = true;
  try {
    ensureApprovalsDir(DEFAULT_APPROVALS_DIR);
  } catch {
    machineApprovals = false;
  }
  const fleet = await startDemoFleet({ dir, machineApprovals, ...(nodeCount !== undefined ? { nodeCount } : {}) });
  // The demo runs the way a jump box does: a server owns the fleet's health and alerts, this
  // console attaches to it, and a second terminal can attach to the same server.
  const [{ startDemoServer }, { t }] = await Promise.all([import('../demo/server'), import('../i18n/catalog')]);
  let server: Awaited<ReturnType<typeof startDemoServer>> | undefined;
  try {
    server = await startDemoServer(fleet.configPath, join(dir, 'run', 'console.sock'), join(dir, 'serve.log'));
    const { shellWord } = await import('../ssh/quote');
    const attach = `doai-console --config ${shellWord(fleet.configPath)} --socket ${shellWord(server.socket)}`;
    const { runInteractive } = await import('./interactive');
    return await runInteractive(loadFromFlags({ ...flags, config: fleet.configPath }), { ...flags, socket: server.socket }, {
      lang: langOf(flags),
      demo: { inject: (name) => fleet.injectFault(name as never) },
      notice: t(langOf(flags), 'demo.attachHint', { command: attach }),
    });
  } finally {
    await server?.stop();
    await fleet.stop();
    release();
    process.stdout.write(`${t(langOf(flags), 'demo.folderKept', { dir })}\n`);
  }
}

/** --param name=value, repeatable; a malformed one is a usage error. */
function collectParam(raw: string, acc: Record<string, string>): Record<string, string> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UserError(`--param ${JSON.stringify(raw)}: expected name=value, e.g. --param commit=a1b2c3d`);
  const name = raw.slice(0, eq);
  if (name in acc) throw new UserError(`--param ${name} is given twice; give each parameter once`);
  return { ...acc, [name]: raw.slice(eq + 1) };
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = attachable(common(new Command('doai-console')))
    .description('On-call recovery console: live health, runbooks with approvals, audit log.')
    .version(VERSION, '-V, --version')
    .option('--accept-new', 'trust SSH host keys not yet in known_hosts (writes them); a changed key is always refused')
    .showHelpAfterError('(run doai-console --help for usage)')
    // Root options only before a subcommand, so `status --config X` reaches the subcommand.
    .enablePositionalOptions()
    .exitOverride()
    .action(async (flags) => setExit(await interactive(flags)));

  common(program.command('demo'))
    .description('open the console against an embedded simulated fleet on 127.0.0.1')
    .option('--serve', 'run only the fleet; prints "config: <path>" first and stays up until killed')
    .option('--nodes <n>', 'device nodes the simulated orchestrator lists (default 40)')
    .option('--reset', 'empty the demo folder ($XDG_STATE_HOME/doai-console/demo) first: a clean audit log, no incidents, nothing to resume')
    .action(async (flags) => setExit(await demo(flags)));

  common(program.commands.find((c) => c.name() === 'demo')!.command('fault'))
    .description(`inject a fault into a running demo fleet (${FAULTS.join(', ')})`)
    .argument('<name>', 'fault name')
    .action(async (name: string, flags: CommonFlags) => {
      const { sendFault } = await import('../demo/control');
      await sendFault(resolveConfigPath({ flag: flags.config }), name);
      // `clear` removes faults; it is not a fault that was injected.
      process.stdout.write(name === 'clear' ? 'every demo fault cleared\n' : `fault "${name}" injected\n`);
      setExit(0);
    });

  attachable(common(program.command('status')))
    .description('report every service (and, from a server, every host, node source and firing alert with the age of its last fact); exit 0 when all are healthy, 1 otherwise')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & AttachFlags & { json?: boolean }) => {
      const { chooseServer } = await import('../attach/choose');
      const choice = chooseServer(flags);
      if (choice.mode === 'attach') {
        const { attachedStatus } = await import('./status-attached');
        const res = await attachedStatus(choice, { json: flags.json === true });
        if (res) {
          process.stdout.write(res.text);
          setExit(res.exitCode);
          return;
        }
      }
      const loaded = loadFromFlags(flags);
      const { runStatusOnce } = await import('../health/status');
      const { fitRecommendation } = await import('../runbook/fit');
      const { builtinActionsDir, loadRunbooks } = await import('../runbook/loader');
      const runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: loaded.config.runbooks, baseDir: dirname(loaded.path), userDir: join(dirname(loaded.path), 'runbooks') });
      const res = await runStatusOnce(loaded.config, { json: flags.json === true, fitRecommendation: (rec) => fitRecommendation(rec, loaded.config, runbooks) });
      process.stdout.write(res.text.endsWith('\n') ? res.text : res.text + '\n');
      setExit(res.exitCode);
    });

  common(program.command('serve'))
    .description('run the console server in the foreground: probes, alerts (evaluated once), runbooks, history; consoles attach over a local socket; log on stderr, SIGTERM drains')
    .option('--socket <path>', 'where to listen (default: $DOAI_CONSOLE_SOCKET, else /run/doai-console/console.sock)')
    .option('--stall-timeout <seconds>', 'drop a console that stops reading for this long (default 30)')
    .option('--accept-new', 'trust SSH host keys not yet in known_hosts')
    .option('--print-systemd-unit', 'print a systemd unit that runs the server as its own system user, then exit')
    .option('--metrics [addr]', 'serve Prometheus /metrics (and POST /api/alertmanager) over HTTP on ADDR: PORT or HOST:PORT (default 127.0.0.1:9464)')
    .option('--ssh [addr]', 'serve the console over SSH on ADDR: PORT or HOST:PORT (default 127.0.0.1:2222); operators log in with the keys of the config\'s operators section')
    .option('--ssh-host-key <file>', 'the SSH host key (default: ssh_host_ed25519_key in the state folder, made on first start, owner-only)')
    .option('--ssh-idle <seconds>', 'close an SSH session without a key press for this long (default 1800; 0 never)')
    .option('--ssh-keepalive <seconds>', 'send an SSH keepalive after this long without a packet from the client (default 15; 0 never)')
    .option('--ssh-keepalive-count <n>', 'drop a client that answers this many keepalives in a row with nothing (default 3)')
    .action(async (flags: CommonFlags & { socket?: string; stallTimeout?: string; acceptNew?: boolean; printSystemdUnit?: boolean; metrics?: string | true; ssh?: string | true; sshIdle?: string; sshHostKey?: string; sshKeepalive?: string; sshKeepaliveCount?: string }) => {
      if (flags.printSystemdUnit) {
        const { systemdUnit } = await import('../server/systemd-unit');
        process.stdout.write(systemdUnit({ node: process.execPath, bin: process.argv[1] ?? 'doai-console', ...(flags.config ? { config: resolveConfigPath({ flag: flags.config }) } : {}) }));
        setExit(0);
        return;
      }
      const stall = flags.stallTimeout === undefined ? undefined : Number(flags.stallTimeout);
      if (stall !== undefined && !(Number.isFinite(stall) && stall > 0 && stall <= 3600)) throw new UserError(`--stall-timeout ${JSON.stringify(flags.stallTimeout)}: expected seconds from 0.1 to 3600`);
      const idle = flags.sshIdle === undefined ? undefined : Number(flags.sshIdle);
      if (idle !== undefined && !(Number.isFinite(idle) && idle >= 0 && idle <= 604_800)) throw new UserError(`--ssh-idle ${JSON.stringify(flags.sshIdle)}: expected seconds from 0 (never) to 604800`);
      const { parseKeepalive } = await import('../server/ssh-keepalive');
      const keepalive = parseKeepalive(flags.sshKeepalive, flags.sshKeepaliveCount);
      const { resolveSocket } = await import('../protocol/socket-path');
      const { runServe } = await import('../server/serve');
      setExit(await runServe(loadFromFlags(flags), { socket: resolveSocket(flags.socket).path, acceptNew: flags.acceptNew === true, ...(stall !== undefined ? { stallSeconds: stall } : {}), ...(flags.metrics !== undefined ? { metrics: flags.metrics } : {}), ...(flags.ssh !== undefined ? { ssh: flags.ssh, sshIdleSeconds: idle, sshKeepalive: keepalive, ...(flags.sshHostKey ? { sshHostKey: resolvePath(flags.sshHostKey) } : {}) } : {}) }));
    });

  attachable(common(program.command('run')))
    .description('run a runbook headless with plain streaming output (l1-soft-reset, ...)')
    .argument('<runbook>', 'runbook id')
    .requiredOption('-t, --target <name>', 'service or host to act on')
    .option('--dry-run', 'show every command that would run, on which host, and run nothing')
    .option('--accept-new', 'trust SSH host keys not yet in known_hosts')
    .option('-p, --param <name=value>', 'a runbook parameter (repeat for more); values listed on the target must be one of the listed', collectParam, {} as Record<string, string>)
    .action(async (runbook: string, flags: CommonFlags & AttachFlags & { target: string; dryRun?: boolean; param?: Record<string, string> }) => {
      // Beside a server, the server runs it (R-SRV-3) and this prints it.
      const { attachedRun } = await import('./run-attached');
      const served = await attachedRun(flags, runbook, flags.target, { dryRun: flags.dryRun === true, lang: langOf(flags), params: flags.param });
      if (served !== undefined) return setExit(served);
      const { buildContext } = await import('./context');
      const { headlessRun } = await import('./headless-run');
      const { terminalPassphrase } = await import('./passphrase-prompt');
      const ctx = await buildContext(loadFromFlags(flags), flags, undefined, { passphrase: terminalPassphrase() });
      try {
        setExit(await headlessRun(ctx, runbook, flags.target, { dryRun: flags.dryRun === true, lang: langOf(flags), params: flags.param }));
      } finally {
        ctx.close();
      }
    });

  attachable(common(program.command('watch')))
    .description('read-only wall screen: health, runs in progress in any console, recent runs')
    .option('--interval <seconds>', 'at most one frame every N seconds, 1-5 (default 2)')
    .action(async (flags: CommonFlags & AttachFlags & { interval?: string }) => {
      // A dynamic import, so the wall screen's module graph starts at src/cli/watch.ts and never
      // includes the engine that this file's other commands load.
      const { runWatch } = await import('./watch');
      setExit(await runWatch(flags, langOf(flags)));
    });

  attachable(common(program.command('log')))
    .description('browse the audit log (emergency.log) and run journals; --json for scripts')
    .option('--json', 'JSON lines, one entry per line')
    .option('--runbook <id>', 'only this runbook (id or audit name, e.g. l2-service-reset)')
    .option('-t, --target <name>', 'only runs on this service or host')
    .option('--level <level>', 'only L1, L2 or L3')
    .option('--since <when>', 'only entries since a duration ago (30m, 1h, 2d) or a date')
    .option('--grep <text>', 'only entries whose text (or a run output line) contains this')
    .option('--limit <n>', 'only the last n entries')
    .option('--run <id>', "one run's journal as a timeline")
    .action(async (flags: CommonFlags & AttachFlags & Record<string, string | boolean | undefined>) => {
      const str = (k: string) => (typeof flags[k] === 'string' ? { [k]: flags[k] as string } : {});
      const { attachedCli } = await import('./cli-attached');
      const served = await attachedCli(flags, 'cli.log', { json: flags.json === true, ...str('runbook'), ...str('target'), ...str('level'), ...str('since'), ...str('grep'), ...str('run'), ...str('limit') });
      if (served !== undefined) return setExit(served);
      const { runLog } = await import('./log');
      setExit(await runLog(flags as never));
    });

  attachable(common(program.command('report')))
    .description("write an incident's markdown report (latest incident without an id) and print it")
    .argument('[incident]', 'incident id, id prefix or slug')
    .action(async (incident: string | undefined, flags: CommonFlags & AttachFlags) => {
      const { attachedCli } = await import('./cli-attached');
      const served = await attachedCli(flags, 'cli.report', { lang: langOf(flags), ...(incident !== undefined ? { incident } : {}) });
      if (served !== undefined) return setExit(served);
      const { reportCommand } = await import('./report');
      const res = reportCommand(loadFromFlags(flags, { fleet: false }), incident, { lang: langOf(flags) });
      process.stdout.write(res.markdown);
      process.stderr.write(`wrote ${res.path}\n`);
      setExit(0);
    });

  attachable(common(program.command('stats')))
    .description('incident count, MTTR (mean, median, p95) and MTBF over a period')
    .option('--since <period>', 'how far back: 30d, 12h, 90m, 2w', '30d')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & AttachFlags & { since?: string; json?: boolean }) => {
      const { attachedCli } = await import('./cli-attached');
      const served = await attachedCli(flags, 'cli.stats', { json: flags.json === true, ...(flags.since !== undefined ? { since: flags.since } : {}) });
      if (served !== undefined) return setExit(served);
      const { statsCommand } = await import('./stats');
      process.stdout.write((await statsCommand(loadFromFlags(flags, { fleet: false }), { since: flags.since, json: flags.json === true })).text);
      setExit(0);
    });

  attachable(common(program.command('approve')))
    .description('list pending approval requests, or approve one as your OS user (another person than the requester); beside a server, its runs\' approvals, approved there as your uid')
    .argument('[request-id]', 'the id shown by the requesting console (8 hex characters, or a run id on a server); without it, list pending requests')
    .option('--approvals-dir <path>', 'the approvals directory the requesting console printed (default: paths.approvals_dir of the config); approves through that folder, not a server')
    .action(async (id: string | undefined, flags: CommonFlags & AttachFlags & { approvalsDir?: string }) => {
      const { attachedApprove } = await import('./approve-attached');
      const served = await attachedApprove(id, flags);
      if (served !== undefined) return setExit(served);
      const { runApprove } = await import('./approve');
      setExit(runApprove(id, flags));
    });

  const silence = program.command('silence').description('silences and maintenance windows kept by the server (status lists them with their ids)');
  attachable(common(silence.command('rm')))
    .description("remove a silence (s-…) or end a maintenance window (m-…) by its id, through the server: your role is checked there and the removal audited, as with the s and m keys")
    .argument('<id>', 'the id status lists')
    .action(async (id: string, flags: CommonFlags & AttachFlags) => {
      const { removeSilence } = await import('./silence');
      setExit(await removeSilence(id, flags));
    });

  const operator = program.command('operator').description('operators of the config (R-ID): enrol an approver for one-time passwords');
  common(operator.command('enroll'))
    .description("make a TOTP secret for an approver (kept owner-only in the server's state folder: run as the server's user) and show it as an otpauth:// URI and a QR code")
    .argument('<name>', 'the operator name from the config (operators.people[].name), with the approver role')
    .option('--replace', 'issue a new secret for someone enrolled already (their old authenticator entry stops working)')
    .action(async (name: string, flags: CommonFlags & { replace?: boolean }) => {
      const { runOperatorEnroll } = await import('./operator-enroll');
      setExit(await runOperatorEnroll(loadFromFlags(flags), name, { replace: flags.replace === true }));
    });

  common(program.command('check'))
    .description('validate the config and runbooks, then probe every host (DNS, TCP, SSH host key, SSH login) and service (health URL); exit 0 all good, 1 a probe failed, 2 invalid config')
    .option('--accept-new', 'write host keys not yet in known_hosts (after you verified the fingerprints); a changed key is always refused')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & { acceptNew?: boolean; json?: boolean }) => {
      const { runCheck } = await import('./check');
      const { terminalPassphrase } = await import('./passphrase-prompt');
      setExit(await runCheck({ configPath: resolveConfigPath({ flag: flags.config }), acceptNew: flags.acceptNew === true, json: flags.json === true, passphrase: terminalPassphrase() }));
    });

  common(program.command('init'))
    .description('write a commented starter config; --system: set up the machine-wide state dir (as root)')
    .option('--force', 'overwrite an existing file')
    .option('--system', 'set up /var/lib/doai-console ($DOAI_CONSOLE_SYSTEM_DIR): locks, approvals and the audit log shared by every console on the machine')
    .option('--group <name|gid>', 'with --system: the group of operators (default doai-console, created when missing)')
    .action(async (flags: CommonFlags & { force?: boolean; system?: boolean; group?: string }) => {
      if (flags.system) {
        const { initSystemDir } = await import('../config/system-dir');
        const made = initSystemDir({ group: flags.group });
        process.stdout.write(`${made.join('\n')}\nevery console on this machine now keeps its locks, approvals and audit log there; add operators to the group: usermod -aG ${flags.group ?? 'doai-console'} <user>\n`);
        setExit(0);
        return;
      }
      const path = resolveConfigPath({ flag: flags.config });
      const { writeStarterConfig } = await import('../config/write-starter');
      writeStarterConfig(path, { force: flags.force === true });
      process.stdout.write(`wrote ${path}\nedit it, then run: doai-console status --config ${path}\n`);
      setExit(0);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  for (const cmd of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; usage errors are already printed.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(err);
  }
}
