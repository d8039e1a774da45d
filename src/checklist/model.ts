// Replays a checklist instance's entries, in file order (the order O_APPEND wrote them), into item states. Pure: the store, the report and the
// tests all read the same answer from the same lines. Nothing is ever erased: an undo clears the
// sign-off and counts it; a second sign-off of a signed item (another console, same moment) keeps
// the first and is still in the file.
import type { ChecklistSignOff } from '../core/views';
import type { ChecklistEntry } from './log';

export interface ItemState {
  signed?: ChecklistSignOff;
  notes: { operator: string; at: Date; text: string }[];
  undone: number;
}

export function replayItems(entries: readonly ChecklistEntry[]): Map<string, ItemState> {
  const items = new Map<string, ItemState>();
  const get = (id: string) => {
    let s = items.get(id);
    if (!s) items.set(id, (s = { notes: [], undone: 0 }));
    return s;
  };
  for (const e of entries) {
    switch (e.type) {
      case 'signed': {
        const s = get(e.item);
        if (s.signed) break;
        s.signed = {
          operator: e.operator,
          at: new Date(e.at),
          ...(e.override ? { override: true } : {}),
          ...(e.note ? { note: e.note } : {}),
          ...(e.auto ? { auto: e.auto } : {}),
        };
        if (e.note) s.notes.push({ operator: e.operator, at: new Date(e.at), text: e.note });
        break;
      }
      case 'note':
        get(e.item).notes.push({ operator: e.operator, at: new Date(e.at), text: e.text });
        break;
      case 'undone': {
        const s = get(e.item);
        if (!s.signed) break;
        s.signed = undefined;
        s.undone++;
        break;
      }
      default:
        break;
    }
  }
  return items;
}
