// What of a run may leave the screen of the operator who runs it: the journal on disk, the event
// pages other consoles read (`run.events`), watchers replaying a journal, the run views other
// boxes read from the shared state. An approval form's one-time code is for the requester's eyes
// only while it can still approve; it reaches the audit log in the START line once spent (seed
// 000's `START - Confirm: <code>`), never here.
import { redactDeep } from '../audit/redact';
import type { RunPrompt } from '../core/views';
import type { RunEvent } from './events';

/** The prompt without an approval's code, nor the code inside its sentences ("Read code … to the approver"). */
export function promptWithoutCode<P extends RunPrompt | null | undefined>(prompt: P): P {
  if (prompt?.kind !== 'approval' || prompt.code === undefined) return prompt;
  const { code, ...rest } = prompt;
  return redactDeep(rest, [code]) as P;
}

/** The event as it may be recorded or sent on: an approval prompt without its code. */
export function recordableEvent(event: RunEvent): RunEvent {
  if (event.type !== 'run.prompt') return event;
  const prompt = promptWithoutCode(event.prompt);
  return prompt === event.prompt ? event : { ...event, prompt };
}
