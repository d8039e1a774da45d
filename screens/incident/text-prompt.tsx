// A one-line text field (notes, override reasons, incident titles, root cause). While it shows,
// the console is on the 'prompt' command screen whose only keys are Enter and Esc, so typed
// letters reach the field and never fire a command.
import { Box, Text } from 'ink';
import { TextField } from '../shared/text-field';
import { truncate } from '../shared/text';

export function TextPrompt({ label, value, onChange, error, width, height }: { label: string; value: string; onChange(v: string): void; error?: string; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="wrap">
        {label}
      </Text>
      <Box borderStyle="round" width={Math.min(width, 100)} paddingX={1}>
        <TextField value={value} onChange={onChange} />
      </Box>
      {error ? (
        <Text color="red" wrap="wrap">
          {truncate(error, width * 2)}
        </Text>
      ) : null}
    </Box>
  );
}
