// Where the incident store keeps its records. `files` (the default): one JSON per incident under
// <stateDir>/incidents, read-merge-written by each console. Under `state.backend: postgres` the
// records live in the database (src/state/pg-incidents.ts) so every box sees one set of incidents;
// the store's merge rules are the same for both: it hands `save` its merge and the records apply it
// to what is stored at that moment.
import { incidentFile, incidentToJson, readIncident, readIncidents, type IncidentRecord } from './files';
import { writeFileAtomic } from '../core/atomic-file';
import type { Localized } from '../core/views';

export type SaveResult =
  | { ok: true; saved: IncidentRecord }
  | { ok: false; error: Localized }
  /** Another box opened an incident for this target first: the new one joins it. */
  | { ok: false; joined: IncidentRecord };

export interface IncidentRecords {
  /** Where, in words (errors and the report CLI). */
  readonly where: string;
  /**
   * True when the stored records are the truth for every box (the database): a reload takes them
   * as they are for every incident whose changes this store has saved.
   */
  readonly shared: boolean;
  /** Every stored incident; throws in words when the store cannot be read at all. */
  readAll(): { incidents: IncidentRecord[]; problems: string[] };
  /** The same without blocking the caller (the database): the periodic and notified re-reads use it when there is one. */
  readAllAsync?(): Promise<{ incidents: IncidentRecord[]; problems: string[] }>;
  /** Saves `rec` merged (by `merge(mine, stored)`) with what is stored for its id. */
  save(rec: IncidentRecord, merge: (mine: IncidentRecord, stored: IncidentRecord) => IncidentRecord): SaveResult;
  /** A new incident's id; undefined: the store's own (time + random). */
  newId?(stamp: string, random: string): string;
  /**
   * An operator's change (open, severity, close) is refused while this says why (the database
   * is away); changes from runs and probes are kept and saved when it answers again.
   */
  refuseWrites?(): Localized | undefined;
  /** Called when another box changed an incident (and when the feed comes back after a gap). */
  onChange?(listener: () => void): () => void;
  close?(): void;
}

export function fileIncidentRecords(dir: string): IncidentRecords {
  return {
    where: dir,
    shared: false,
    readAll: () => readIncidents(dir),
    save(rec, merge) {
      const path = incidentFile(dir, rec.id);
      try {
        const disk = readIncident(path);
        const merged = disk ? merge(rec, disk) : rec;
        writeFileAtomic(path, incidentToJson(merged));
        return { ok: true, saved: merged };
      } catch (err) {
        const msg = (err as Error).message;
        return {
          ok: false,
          error: {
            en: `incident not saved in ${path} (${msg}) — check that the state directory is writable`,
            ko: `인시던트를 ${path}에 저장하지 못함 (${msg}) — 상태 디렉터리 쓰기 권한을 확인하세요`,
          },
        };
      }
    },
  };
}
