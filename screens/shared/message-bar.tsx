// Under the screen body: errors (a start refused), a disabled key's reason, a question, a command
// to copy. A message longer than the terminal is wide wraps onto up to `max` lines (the body gives
// up those lines while it shows) instead of being cut: on 80 × 24 the end of a question, a refusal's
// "what to do next" or the command for a second terminal is what the operator needs.
import { Box, Text } from 'ink';
import { truncate, wrapLines } from './text';

export type MessageTone = 'error' | 'info' | 'question';

export interface BarMessage {
  text: string;
  tone: MessageTone;
}

/** The lines the bar takes for `message` at `width`: at least one, at most `max`. */
export function messageLines(message: BarMessage | undefined, width: number, max = 3): string[] {
  if (!message) return [' '];
  if (max <= 1) return [truncate(message.text, width)];
  const lines = wrapLines(message.text, Math.max(1, width), max);
  return lines.length ? lines : [' '];
}

export function MessageBar({ message, width, max = 1 }: { message?: BarMessage; width: number; max?: number }) {
  const color = message?.tone === 'error' ? 'red' : message?.tone === 'question' ? 'yellow' : undefined;
  const lines = messageLines(message, width, max);
  return (
    <Box width={width} height={lines.length} overflow="hidden" flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate" color={color} bold={message?.tone === 'question'}>
          {l}
        </Text>
      ))}
    </Box>
  );
}
