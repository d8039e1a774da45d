// The interactive console's masked passphrase prompt (issue 12 item 17), worded as OpenSSH asks:
// "Enter passphrase for key '…':". Each character shows as •; Enter hands the text to the SSH
// client, Esc declines (the key is not used for this login). It takes over the body while shown,
// on the 'prompt' command screen, so typed letters never fire a command.
import { Box, Text } from 'ink';
import type { Lang } from '../../src/core/views';
import type { PassphraseRequest } from '../../src/ssh/identity';
import { TextField } from './text-field';
import { truncate } from './text';

export function PassphrasePrompt({ request, value, onChange, lang, width, height }: { request: PassphraseRequest; value: string; onChange(v: string): void; lang: Lang; width: number; height: number }) {
  const ko = lang === 'ko';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {request.attempt > 1 ? <Text color="red">{ko ? '암호가 틀렸습니다. 다시 입력하세요.' : 'Bad passphrase, try again.'}</Text> : null}
      <Text bold wrap="wrap">
        {truncate(`Enter passphrase for key '${request.path}':`, width * 2)}
      </Text>
      <Text dimColor wrap="wrap">
        {truncate(ko ? `호스트 ${request.host} 로그인 — Enter 로그인 · Esc 건너뛰기 (이 키를 쓰지 않음); 암호는 어디에도 저장되지 않습니다` : `logging in to ${request.host} — Enter logs in · Esc skips (this key is not used); the passphrase is kept nowhere`, width * 2)}
      </Text>
      <Box borderStyle="round" width={Math.min(width, 100)} paddingX={1}>
        <TextField value={value} onChange={onChange} mask="•" />
      </Box>
    </Box>
  );
}
