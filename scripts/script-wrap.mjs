// Turns an esbuild ESM bundle with no splitting into a classic script that node:vm can compile
// with V8's code cache (Node 20 has no code cache for ES modules; see src/cli/code-cache.ts):
//
//   (async function (require, __meta_url, __import) { "use strict"; …the bundle…; return { …its exports } })
//
// Imports of node: built-ins become require() calls hoisted to the top (where ES module imports
// are bound), `import.meta.url` becomes the script's own file URL, the final `export { … }` the
// returned object, and the body stays strict as a module is. Top-level awaits (yoga's wasm, Ink)
// are legal in the async function. node:vm runs a script's own import() only through a callback
// that Node 20 loses when the script comes from the code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_
// MISSING), so the script calls none: a dynamic import() of a built-in becomes require() behind a
// promise, and one of a package or of a file beside the script goes to `__import`, the loader's
// own import() (a file as its absolute URL). Anything else a module can do and a script cannot (a
// static import of a package, an import() of a computed name, another use of import.meta) fails
// the build instead of running differently.

const IMPORT = /^import\s+(.*?)\s*from\s*"(node:[a-z_/]+)";$/gm;
const SIDE_EFFECT_IMPORT = /^import\s*"(node:[a-z_/]+)";$/gm;
const EXPORT = /^export\s*\{([^}]*)\};\s*$/m;

/** `a, b as c` (an import or export list) → [[a, a], [b, c]] as [local-or-imported, bound-name]. */
function names(list) {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
      if (!m) throw new Error(`script-wrap: cannot read the binding list entry "${s}"`);
      return [m[1], m[2] ?? m[1]];
    });
}

function bindings(clause, mod) {
  const req = `require(${JSON.stringify(mod)})`;
  const out = [];
  let rest = clause.trim();
  const ns = /^\*\s+as\s+([\w$]+)$/.exec(rest);
  if (ns) return [`const ${ns[1]} = ${req};`];
  const def = /^([\w$]+)\s*(?:,\s*(.*))?$/s.exec(rest);
  if (def) {
    out.push(`const ${def[1]} = ${req};`);
    rest = (def[2] ?? '').trim();
    if (!rest) return out;
  }
  const named = /^\{([^}]*)\}$/.exec(rest);
  if (!named) throw new Error(`script-wrap: cannot read the import "${clause}" from ${mod}`);
  const list = names(named[1]).map(([imported, local]) => (imported === local ? local : `${imported}: ${local}`));
  out.push(`const { ${list.join(', ')} } = ${req};`);
  return out;
}

/** The wrapped script's text for an ESM bundle's text. */
export function wrapAsScript(bundle) {
  const hoisted = [];
  let body = bundle.replace(IMPORT, (_, clause, mod) => {
    hoisted.push(...bindings(clause, mod));
    return '';
  });
  body = body.replace(SIDE_EFFECT_IMPORT, (_, mod) => {
    hoisted.push(`require(${JSON.stringify(mod)});`);
    return '';
  });
  let returned = '{}';
  body = body.replace(EXPORT, (_, list) => {
    returned = `{ ${names(list).map(([local, exported]) => `${exported}: ${local}`).join(', ')} }`;
    return '';
  });
  body = body.replace(/\bimport\.meta\.url\b/g, '__meta_url');
  body = body.replace(/\bimport\(\s*"(node:[a-z_/]+)"\s*\)/g, (_, mod) => `Promise.resolve().then(() => __builtin(${JSON.stringify(mod)}))`);
  body = body.replace(/\bimport\(\s*"(\.\.?\/[^"]+)"\s*\)/g, (_, file) => `__import(new URL(${JSON.stringify(file)}, __meta_url).href)`);
  body = body.replace(/\bimport\(\s*"([a-z@][^"]*)"\s*\)/g, (_, pkg) => `__import(${JSON.stringify(pkg)})`);
  const left = /^(import|export)\b.*$/m.exec(body) ?? /\bimport\.meta\b.*$/m.exec(body) ?? /\bimport\(.*$/m.exec(body);
  if (left) throw new Error(`script-wrap: the bundle still has a module-only line: ${left[0].slice(0, 160)}`);
  // What import() of a built-in resolves to: its exports, and the module as `default`.
  const builtin = 'const __builtin = (id) => { const m = require(id); return Object.freeze(Object.assign(Object.create(null), m, { default: m })); };';
  return `(async function (require, __meta_url, __import) {"use strict";\n${builtin}\n${hoisted.join('\n')}\n${body}\nreturn ${returned};\n})`;
}
