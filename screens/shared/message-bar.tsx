// One line under the screen body: errors (a start refused), a disabled key's reason, a question.
import { Box, Text } from 'ink';
import { truncate } from './text';

export type MessageTone = 'error' | 'info' | 'question';

export interface BarMessage {
  text: string;
  tone: MessageTone;
}

export function MessageBar({ message, width }: { message?: BarMessage; width: number }) {
  const color = message?.tone === 'error' ? 'red' : message?.tone === 'question' ? 'yellow' : undefined;
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate" color={color} bold={message?.tone === 'question'}>
        {message ? truncate(message.text, width) : ' '}
      </Text>
    </Box>
  );
}
