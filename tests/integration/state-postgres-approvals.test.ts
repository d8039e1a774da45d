// Proven approvals across boxes (issue 15): an approval given on box B for a run on box A reaches
// A as a row in doai_forwarded that B's server signed with its Ed25519 key, pinned in A's
// state.peers. Whoever can write to the database but holds no pinned key cannot approve: an
// unsigned row, a row signed by another key, a replayed row are refused by A, audited, and the
// run does not advance. Real PostgreSQL (one throwaway cluster for the file), two `serve` boxes.
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { proveAsRoot, rawClient, spawnServer, type RawClient } from '../helpers/console-server';
import { box, fx, peeredBoxes, serve, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';
import { canonical, signApproval, type SignedApproval } from '../../src/state/peer-keys';
import { parse, stringify } from 'yaml';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

/** A console on `socket` proven as nobody (uid 65534): the kernel-visible owner of the proof file. */
async function asNobody(socket: string): Promise<RawClient> {
  const c = await rawClient(socket);
  const hello = await c.next((f) => f.t === 'hello');
  const proof = join(dirname(socket), 'auth', String(hello.nonce));
  writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
  chownSync(proof, 65534, 65534);
  c.send({ t: 'auth', client: hello.server });
  expect(await c.next((f) => f.t === 'welcome' || f.t === 'refused')).toMatchObject({ t: 'welcome', identity: { user: 'nobody' } });
  return c;
}

describe('proven approvals across boxes (signed rows)', () => {
  it("B's proven approval advances A's run (audited `proven by nobody on b`); unsigned, foreign-signed and replayed rows are refused and audited, nothing advances", async () => {
    const db = 'signed_approvals';
    const url = await fx.cluster.createDatabase(db);
    // A asks for proven approvals at L2: a typed name and code would not do; a proven identity does.
    const [aBox, bBox] = peeredBoxes(['a', 'b'], { a: { approval: { L2: 'proven' } } }) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    const a = await serve(aBox, url);
    await serve(bBox, url);
    await a.waitLog(/this server signs as "a" with .*; it takes approvals signed by b/);

    const ca = await rawClient(aBox.socket);
    expect((await proveAsRoot(ca, aBox.socket)).t).toBe('welcome');
    ca.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'hold-code', target: 'api' } });
    const started = (await ca.next((f) => f.t === 'result' && f.id === 1)) as { value?: { ok: boolean; runId?: string } };
    expect(started.value).toMatchObject({ ok: true });
    const runId = started.value!.runId!;
    const q = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => fx.cluster.query<R>(db, sql, params);
    await waitUntilAsync('the waiting form in the database', async () => JSON.parse((await q<{ view_json: string }>('SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]))[0]?.view_json ?? '{}').prompt?.kind === 'approval');
    const aServer = (await q<{ box: string }>('SELECT box FROM doai_runs WHERE run_id = $1', [runId]))[0]!.box;

    // B's console sees A's run (B's server knows where it runs).
    const cb = await asNobody(bBox.socket);
    cb.send({ t: 'subscribe', topics: ['runs'] });
    await cb.next((f) => f.t === 'snapshot' && f.topic === 'runs' && JSON.stringify(f.data).includes(runId));

    const waitingStill = async () => {
      const view = JSON.parse((await q<{ view_json: string }>('SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]))[0]!.view_json) as { state: string; prompt?: { kind: string; phase?: string } };
      expect(view).toMatchObject({ state: 'running', prompt: { kind: 'approval', phase: 'code' } });
    };
    /** Writes a row as anyone with the database URL could, wakes A, and returns A's answer in it. */
    const plant = async (cols: Record<string, unknown>): Promise<{ id: string; result: { ok: boolean; error?: string } }> => {
      const names = Object.keys(cols);
      const [{ id }] = (await q<{ id: string }>(
        `INSERT INTO doai_forwarded (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
        Object.values(cols),
      )) as [{ id: string }];
      await q("SELECT pg_notify('doai_forward', $1)", [id]);
      let result: { ok: boolean; error?: string } | undefined;
      await waitUntilAsync(`A to answer row ${id}`, async () => {
        const r = (await q<{ state: string; result_json: string | null }>('SELECT state, result_json FROM doai_forwarded WHERE id = $1', [id]))[0];
        if (r?.state === 'done' && r.result_json) result = JSON.parse(r.result_json);
        return result !== undefined;
      });
      return { id, result: result! };
    };
    const dbNow = async () => (await q<{ now: Date }>('SELECT now() AS now'))[0]!.now.toISOString();
    const payload = async (over: Partial<SignedApproval> = {}): Promise<SignedApproval> => ({
      v: 1,
      box: 'b',
      to_box: aServer,
      run_id: runId,
      kind: 'proven',
      step: 1,
      answer: null,
      by_user: 'mallory',
      by_uid: 1000,
      nonce: `n${Math.random().toString(16).slice(2)}`,
      signed_at: await dbNow(),
      ...over,
    });
    const auditLines = async () => (await q<{ line: string }>('SELECT line FROM doai_audit ORDER BY id')).map((r) => r.line);

    // (b) No signature: refused, audited, the form still waits.
    const unsigned = await plant({ run_id: runId, to_box: aServer, by_user: 'mallory', by_uid: 1000, from_box: 'b', signer: 'b', payload_json: canonical(await payload()) });
    expect(unsigned.result).toEqual({ ok: false, error: 'refused: forged or unsigned approval from b (no signature): nothing was approved' });
    // (c) Signed, but by a key A has not pinned: as b (bad signature), and as a box A does not know.
    const rogue = generateKeyPairSync('ed25519').privateKey;
    const asB = await payload();
    const forgedB = await plant({ run_id: runId, to_box: aServer, by_user: 'mallory', by_uid: 1000, from_box: 'b', signer: 'b', payload_json: canonical(asB), signature: signApproval(asB, rogue), nonce: asB.nonce });
    expect(forgedB.result).toEqual({ ok: false, error: 'refused: forged or unsigned approval from b (bad signature): nothing was approved' });
    const asC = await payload({ box: 'c' });
    const forgedC = await plant({ run_id: runId, to_box: aServer, by_user: 'mallory', by_uid: 1000, from_box: 'c', signer: 'c', payload_json: canonical(asC), signature: signApproval(asC, rogue), nonce: asC.nonce });
    expect(forgedC.result).toEqual({ ok: false, error: 'refused: forged or unsigned approval from c (c is not in state.peers): nothing was approved' });
    // Signed with B's real key, but for another server (wrong target), or too long ago.
    const bKey = createPrivateKey(readFileSync(bBox.keyFile, 'utf8'));
    const elsewhere = await payload({ to_box: 'elsewhere (pid 1)' });
    const wrongTarget = await plant({ run_id: runId, to_box: aServer, by_user: 'mallory', by_uid: 1000, from_box: 'b', signer: 'b', payload_json: canonical(elsewhere), signature: signApproval(elsewhere, bKey), nonce: elsewhere.nonce });
    expect(wrongTarget.result).toEqual({ ok: false, error: 'refused: forged or unsigned approval from b (signed for elsewhere (pid 1), not this server): nothing was approved' });
    const old = await payload({ signed_at: (await q<{ t: Date }>("SELECT now() - interval '1 minute' AS t"))[0]!.t.toISOString() });
    const stale = await plant({ run_id: runId, to_box: aServer, by_user: 'mallory', by_uid: 1000, from_box: 'b', signer: 'b', payload_json: canonical(old), signature: signApproval(old, bKey), nonce: old.nonce });
    expect(stale.result.error).toMatch(/^refused: forged or unsigned approval from b \(signed at \S+, not within the last 15 s\): nothing was approved$/);
    await waitingStill();
    const refusedLines = (await auditLines()).filter((l) => /APPROVAL_REFUSED/.test(l));
    expect(refusedLines).toHaveLength(5);
    expect(refusedLines[0]).toMatch(new RegExp(`APPROVAL_REFUSED: run ${runId}: forged or unsigned approval from b \\(no signature\\): nothing was approved$`));
    expect(refusedLines[1]).toContain('forged or unsigned approval from b (bad signature)');
    expect(refusedLines[2]).toContain('forged or unsigned approval from c (c is not in state.peers)');
    expect((await auditLines()).some((l) => /STEP1_APPROVED/.test(l))).toBe(false);

    // The requester's own name from the other box is still self-approval (the same rules on every path).
    const cbRoot = await rawClient(bBox.socket);
    expect((await proveAsRoot(cbRoot, bBox.socket)).t).toBe('welcome');
    cbRoot.send({ t: 'intent', id: 5, name: 'run.approve', args: { runId, step: 1 } });
    const self = (await cbRoot.next((f) => f.t === 'result' && f.id === 5, 20_000)) as { ok: boolean; value?: { accepted: boolean; error?: { en: string } } };
    expect(self).toMatchObject({ ok: true, value: { accepted: false } });
    cbRoot.socket.destroy();
    await waitingStill();

    // (a) nobody on B lists what waits (A's run among it, with its plan) and approves it, as
    // `doai-console approve <id>` does: B signs, A verifies, the run goes on and ends SUCCESS.
    cb.send({ t: 'intent', id: 6, name: 'approvals.list', args: {} });
    const listed = (await cb.next((f) => f.t === 'result' && f.id === 6)) as { ok: boolean; value: { pending: { id: string; runId: string; requester: string; step: number; plan: string[]; requirement: string }[] } };
    expect(listed.value.pending).toEqual([
      expect.objectContaining({ id: runId, runId, step: 1, requirement: 'proven', requester: `root@${aServer}`, plan: expect.arrayContaining([expect.stringContaining('http')]) }),
    ]);
    cb.send({ t: 'intent', id: 7, name: 'approvals.approve', args: { id: runId } });
    const ok = (await cb.next((f) => f.t === 'result' && f.id === 7, 20_000)) as { ok: boolean; value?: { ok: boolean; message: string }; error?: string };
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true, value: { ok: true, message: `step 1 approved by nobody, carried signed to ${aServer}` } });
    await a.waitLog(new RegExp(`approval for run ${runId} given on b \\(\\S+ \\(pid \\d+\\)\\) by nobody \\(uid 65534 there\\), signed by b`));
    await waitUntilAsync('the run to finish on A', async () => (await q<{ state: string }>('SELECT state FROM doai_runs WHERE run_id = $1', [runId]))[0]?.state === 'success');
    const lines = await auditLines();
    expect(lines.filter((l) => /STEP1_APPROVED/.test(l))).toEqual([expect.stringMatching(/STEP1_APPROVED by nobody \(proven by nobody on b\)$/)]);
    const real = (await q<{ id: string; signer: string; payload_json: string; signature: string; nonce: string; from_box: string }>(
      "SELECT id, signer, payload_json, signature, nonce, from_box FROM doai_forwarded WHERE signer = 'b' AND by_user = 'nobody' AND result_json LIKE '{\"ok\":true%'",
    ))[0]!;
    expect(JSON.parse(real.payload_json)).toMatchObject({ box: 'b', to_box: aServer, run_id: runId, kind: 'proven', step: 1, by_user: 'nobody', by_uid: 65534 });

    // (d) The same signed row again: refused as a replay, audited.
    const replay = await plant({ run_id: runId, to_box: aServer, by_user: 'nobody', by_uid: 65534, from_box: real.from_box, signer: 'b', payload_json: real.payload_json, signature: real.signature, nonce: real.nonce });
    expect(replay.result).toEqual({ ok: false, error: 'refused: forged or unsigned approval from b (its nonce was used before: a replay): nothing was approved' });
    const after = await auditLines();
    expect(after.filter((l) => /APPROVAL_REFUSED/.test(l))).toHaveLength(6);
    expect(after.filter((l) => /STEP1_APPROVED/.test(l))).toHaveLength(1);

    // The same intent for a run of this very server: approved as the uid the kernel proved here.
    ca.send({ t: 'intent', id: 2, name: 'run.start', args: { runbook: 'hold-code', target: 'api' } });
    const second = (await ca.next((f) => f.t === 'result' && f.id === 2)) as { value?: { ok: boolean; runId?: string } };
    const localRun = second.value!.runId!;
    await waitUntilAsync('the second form in the database', async () => JSON.parse((await q<{ view_json: string }>('SELECT view_json FROM doai_runs WHERE run_id = $1', [localRun]))[0]?.view_json ?? '{}').prompt?.kind === 'approval');
    const na = await asNobody(aBox.socket);
    na.send({ t: 'intent', id: 1, name: 'run.approve', args: { runId: localRun, step: 2 } });
    expect(await na.next((f) => f.t === 'result' && f.id === 1)).toMatchObject({ ok: true, value: { accepted: false, error: { en: 'the approval moved on (it is at code, not step 2)' } } });
    na.send({ t: 'intent', id: 2, name: 'run.approve', args: { runId: localRun, step: 1 } });
    expect(await na.next((f) => f.t === 'result' && f.id === 2)).toMatchObject({ ok: true, value: { accepted: true } });
    await waitUntilAsync('the second run to finish', async () => (await q<{ state: string }>('SELECT state FROM doai_runs WHERE run_id = $1', [localRun]))[0]?.state === 'success');
    expect((await auditLines()).filter((l) => /STEP1_APPROVED/.test(l))[1]).toMatch(/STEP1_APPROVED by nobody \(os-user nobody uid 65534\)$/);
    na.socket.destroy();
    ca.socket.destroy();
    cb.socket.destroy();
  }, 90_000);

  it('a malformed key in state.peers, or a signing key others can read: exit 2 with what is wrong, nothing served', async () => {
    const url = await fx.cluster.createDatabase('signed_config');
    const [aBox] = peeredBoxes(['a', 'b']) as [ReturnType<typeof peeredBoxes>[number]];
    const cfg = parse(readFileSync(aBox.config, 'utf8')) as { state: { peers: Record<string, string> } };
    cfg.state.peers.b = 'MCowBQYDK2VwAyEAnot-a-key';
    writeFileSync(aBox.config, stringify(cfg));
    const bad = spawnServer(['--config', aBox.config, '--socket', aBox.socket], { DOAI_PG_URL: url });
    expect(await bad.exited).toBe(2);
    expect(bad.log()).toMatch(/state\.peers\.b: expected an Ed25519 public key, base64 as the other box's serve logs it \(this one: not base64\)/);

    // An RSA key where an Ed25519 one belongs is said as such.
    cfg.state.peers.b = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    writeFileSync(aBox.config, stringify(cfg));
    const rsa = spawnServer(['--config', aBox.config, '--socket', aBox.socket], { DOAI_PG_URL: url });
    expect(await rsa.exited).toBe(2);
    expect(rsa.log()).toMatch(/state\.peers\.b: expected an Ed25519 public key, base64 as the other box's serve logs it \(this one: a rsa key, not Ed25519\)/);

    // The private key readable by the group: refused, the file left as it was.
    const good = box('keyed', { state: { backend: 'postgres', url_env: 'DOAI_PG_URL', box_name: 'keyed', server_key_file: aBox.keyFile } });
    chmodSync(aBox.keyFile, 0o640);
    const leaked = spawnServer(['--config', good.config, '--socket', good.socket], { DOAI_PG_URL: url });
    expect(await leaked.exited).toBe(2);
    expect(leaked.log()).toContain(`state.server_key_file ${aBox.keyFile} is readable by group or others (mode 0640) — refusing to start`);
    expect(readFileSync(aBox.keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  }, 60_000);

  it('without state.server_key_file the key is made on the first start (owner-only) and kept; its public half is logged for the other boxes', async () => {
    const url = await fx.cluster.createDatabase('signed_keygen');
    const b = box('fresh');
    const first = await serve(b, url);
    const made = await first.waitLog(/this server signs as "[^"]+" with (\S+) \(made now\); the other boxes take its approvals with this in their state\.peers: \S+: ([A-Za-z0-9+/=]+);/);
    const [, path, pub] = made;
    expect(path).toBe(join(b.dir, 'state', 'state-server-ed25519.key'));
    expect(statSync(path!).mode & 0o777).toBe(0o600);
    await first.stop('SIGTERM');
    const again = await serve(b, url);
    const kept = await again.waitLog(/this server signs as "[^"]+" with (\S+)(?: \(made now\))?; .*state\.peers: \S+: ([A-Za-z0-9+/=]+);/);
    expect(kept[0]).not.toContain('made now');
    expect(kept[2]).toBe(pub);
  }, 60_000);
});
