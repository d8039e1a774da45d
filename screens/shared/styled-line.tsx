// One line of a long list as few Ink elements as it can be. Every <Text> is a React fiber (two,
// with the tree React keeps for the next render), an Ink DOM node and its props; a node row of
// seven styled columns cost about twenty of them, and a wide nodes pane shows sixty such cells.
// In the console server each SSH session holds its own tree (issue 14: memory per session), so a
// line here is a list of pieces: neighbours that look the same are joined into one string, and
// only pieces that have a style become a <Text>.
import { Text } from 'ink';
import type { ReactNode } from 'react';

export interface Piece {
  text: string;
  color?: 'red' | 'green' | 'cyan' | 'magenta' | 'yellow';
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

const sameLook = (a: Piece, b: Piece) => a.color === b.color && !!a.bold === !!b.bold && !!a.dimColor === !!b.dimColor && !!a.inverse === !!b.inverse;

/** Spaces look the same in any colour, bold or dim (not inverse): they join plain neighbours. */
function look(p: Piece): Piece {
  return !p.inverse && p.text.trim() === '' ? { text: p.text } : p;
}

export function joinPieces(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const raw of pieces) {
    if (raw.text === '') continue;
    const p = look(raw);
    const last = out[out.length - 1];
    if (last && sameLook(last, p)) out[out.length - 1] = { ...last, text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

/** The children of a line's <Text>: plain strings, and a <Text> for each styled piece. */
export function styledPieces(pieces: readonly Piece[]): ReactNode[] {
  return joinPieces(pieces).map((p, i) =>
    p.color === undefined && !p.bold && !p.dimColor && !p.inverse ? (
      p.text
    ) : (
      <Text key={i} color={p.color} bold={p.bold} dimColor={p.dimColor} inverse={p.inverse}>
        {p.text}
      </Text>
    ),
  );
}
