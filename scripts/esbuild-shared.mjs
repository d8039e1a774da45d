// Settings shared by the CLI bundle and the benchmark's minimal Ink app, so both are built alike.

// ink reaches react-devtools-core only when DEV=true (never in production), but its module
// imports it statically; it is not installed, so bundles get an inert stand-in.
export const devtoolsStub = {
  name: 'devtools-stub',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
  },
};

// An ESM bundle still meets require() in CommonJS dependencies.
export const requireBanner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};
