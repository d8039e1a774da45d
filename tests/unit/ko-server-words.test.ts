// Korean "서버" said two things: a host (a machine the runbooks act on) and the console server
// (`doai-console serve`). Now the console server is always "콘솔 서버" and a host is "호스트", so a
// bare 서버 never means the console server. In the catalog, the English "server" is always the
// console server (a machine is a "host"), so every such key says 콘솔 서버 in Korean, and no Korean
// text there says 서버 otherwise. Elsewhere (inline {en, ko} texts in src/ and screens/, the built-in runbooks
// and checklists) 서버 appears only as 콘솔 서버, or as an application server the seeds name ("API
// 서버", "웹 서버"), or in the one seed 001 checklist item quoted as it is ("서버 다운").
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messages, type MessageKey } from '../../src/i18n/catalog';

const root = resolve(__dirname, '../..');
const keys = Object.keys(messages.en) as MessageKey[];
/** 서버 not part of 콘솔 서버 or an application server's name. */
const BARE = /(?<!콘솔 )(?<!API )(?<!웹 )서버/g;
/** Quoted from a seed as it is, meaning a machine, where the console server cannot be meant. */
const SEED_WORDS = new Set(['actions/checklists/situation-assessment.yaml: text: { ko: 서버 다운, en: Server down }']);

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p, ext) : ext.test(e.name) ? [p] : [];
  });
}

describe('Korean: 콘솔 서버 for the console server, 호스트 for a host', () => {
  it('every catalog key whose English says "server" (the console server) says 콘솔 서버 in Korean', () => {
    const server = keys.filter((k) => /\bservers?\b/i.test(messages.en[k].replace(/\{\w+\}/g, '')));
    expect(server.length).toBeGreaterThanOrEqual(5);
    for (const k of server) expect(messages.ko[k], k).toContain('콘솔 서버');
  });

  it('no Korean catalog text says 서버 but as 콘솔 서버; those whose English names a host say 호스트', () => {
    for (const k of keys) expect(messages.ko[k].replace(/콘솔 서버/g, ''), k).not.toContain('서버');
    const host = keys.filter((k) => /\bhosts?\b/i.test(messages.en[k].replace(/\{\w+\}/g, '')));
    expect(host).toEqual(expect.arrayContaining(['pane.hosts', 'col.host', 'hosts.none', 'runbooks.kind.host', 'fault.box-down', 'approval.l3.warning']));
    for (const k of host) expect(messages.ko[k], k).toContain('호스트');
  });

  it('in src/, screens/ and the built-in runbooks and checklists, 서버 is 콘솔 서버, an application server, or a seed word listed here', () => {
    const found: string[] = [];
    for (const f of [...files(join(root, 'src'), /\.tsx?$/), ...files(join(root, 'screens'), /\.tsx?$/), ...files(join(root, 'actions'), /\.ya?ml$/)]) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line) => {
          if (BARE.test(line)) found.push(`${relative(root, f)}: ${line.trim()}`);
          BARE.lastIndex = 0;
        });
    }
    expect(found.filter((l) => !SEED_WORDS.has(l))).toEqual([]);
    // The exception is still there (else drop it from the list).
    expect(found).toEqual([...SEED_WORDS]);
  });
});
