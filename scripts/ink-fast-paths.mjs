// Ink's first frame without ICU's start-up (issue 13, the attached console's first frame): the
// first Intl.Segmenter a process makes costs 10–30 ms (ICU's data), and three modules Ink draws
// with made one each as they loaded. A frame made of one-column, one-unit characters (box lines,
// sparklines, arrows, ASCII: src/core/one-unit.ts) never needed them:
//   - string-width (both copies) makes its segmenter when a string first needs it;
//   - @alcalzone/ansi-tokenize (Ink's output grid) takes its graphemes from src/core/one-unit.ts,
//     which splits such strings by unit (what the segmenter gives them) and segments the rest;
//   - slice-ansi (clipping, truncation) makes its segmenter when it first slices;
//   - Ink's sanitizeAnsi returns at once a string whose only escapes are colours and styles (SGR:
//     ESC [ digits : ; m), which it kept whole anyway, instead of tokenizing it character by character.
// Each edit must apply exactly once: the build fails if a module's text changed (review the plugin).
import { join } from 'node:path';

function edit(text, path, from, to) {
  if (text.split(from).length !== 2) throw new Error(`ink-fast-paths: ${path} no longer has ${JSON.stringify(from.slice(0, 60))}; review the plugin`);
  return text.replace(from, () => to);
}

export function inkFastPaths(root, readFileSync) {
  const oneUnit = JSON.stringify(join(root, 'src/core/one-unit.ts'));
  const files = [
    {
      filter: /[\\/]node_modules[\\/](wrap-ansi[\\/]node_modules[\\/])?string-width[\\/]index\.js$/,
      edits: [
        ['const segmenter = new Intl.Segmenter();', 'let segmenter;'],
        ['of segmenter.segment(string)', 'of (segmenter ??= new Intl.Segmenter()).segment(string)'],
      ],
    },
    {
      filter: /[\\/]node_modules[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/,
      edits: [
        ['const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });', `import { graphemesOf } from ${oneUnit};`],
        ['for (const { segment, index } of segmenter.segment(str)) {', 'for (const { segment, index } of graphemesOf(str)) {'],
      ],
    },
    {
      filter: /[\\/]node_modules[\\/]slice-ansi[\\/]tokenize-ansi\.js$/,
      edits: [
        ["const GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});", "let graphemeSegmenter;\nconst GRAPHEME_SEGMENTER = { segment: (text) => (graphemeSegmenter ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'})).segment(text) };"],
      ],
    },
    {
      filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]sanitize-ansi\.js$/,
      edits: [
        ['const sgrParametersRegex = /^[\\d:;]*$/;', `import { isOnlySgr } from ${oneUnit};\nconst sgrParametersRegex = /^[\\d:;]*$/;`],
        ['    if (!hasAnsiControlCharacters(text)) {\n        return text;\n    }', '    if (!hasAnsiControlCharacters(text) || isOnlySgr(text)) {\n        return text;\n    }'],
      ],
    },
  ];
  return {
    name: 'ink-fast-paths',
    setup(b) {
      for (const f of files) {
        b.onLoad({ filter: f.filter }, (args) => {
          let text = readFileSync(args.path, 'utf8');
          for (const [from, to] of f.edits) text = edit(text, args.path, from, to);
          return { contents: text, loader: 'js' };
        });
      }
    },
  };
}
