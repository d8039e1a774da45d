// Demo only: the fault menu (R-UI-3), picked by number or arrows and Enter.
import { Box, Text } from 'ink';
import type { Lang } from '../../src/core/views';
import { DEMO_FAULTS } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { fit, truncate } from '../shared/text';

export function FaultMenu({ selected, lang, width, height }: { selected: number; lang: Lang; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${t(lang, 'fault.title')}`, width)}
      </Text>
      {DEMO_FAULTS.map((name, i) => (
        <Text key={name} wrap="truncate" bold={i === selected} color={i === selected ? 'cyan' : undefined}>
          {truncate(`${i === selected ? '›' : ' '} ${i + 1}  ${t(lang, `fault.${name}` as MessageKey)}`, width)}
        </Text>
      ))}
    </Box>
  );
}
