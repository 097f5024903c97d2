/**
 * Vite configuration of the dashboard (built by scripts/build-web.mjs, which
 * sets the root to this folder). Preact through the automatic JSX runtime
 * (Vite's own transform, no Babel); no inline scripts (the node's CSP allows
 * only the bundle's own files).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Everything is served by the node itself: no polyfill injected into the page.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
