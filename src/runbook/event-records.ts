// What of a run's events may leave the screen of the operator who runs it: the journal on disk,
// the event pages other consoles read (`run.events`), watchers replaying a journal. An approval
// form's one-time code is for the requester's eyes only while it can still approve; it reaches
// the audit log in the START line once spent (seed 000's `START - Confirm: <code>`), never here.
import { redactDeep } from '../audit/redact';
import type { RunEvent } from './events';

/** The event as it may be recorded or sent on: an approval prompt without its code (nor the code inside its sentences). */
export function recordableEvent(event: RunEvent): RunEvent {
  if (event.type !== 'run.prompt' || event.prompt?.kind !== 'approval' || event.prompt.code === undefined) return event;
  const { code, ...prompt } = event.prompt;
  return { ...event, prompt: redactDeep(prompt, [code]) };
}
