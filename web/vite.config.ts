/**
 * Vite configuration of the dashboard (built by scripts/build-web.mjs, which
 * sets the root to this folder) and of the voting page (vote.html, served by
 * `entente election serve`) and the survey page (survey.html, served by a DAP
 * Leader at /surveys/TASK/), further pages of the same build. Preact through
 * the automatic JSX runtime (Vite's own transform, no Babel); no inline
 * scripts (the node's CSP allows only the bundle's own files).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        vote: fileURLToPath(new URL('./vote.html', import.meta.url)),
        survey: fileURLToPath(new URL('./survey.html', import.meta.url)),
      },
    },
    target: 'es2022',
    sourcemap: false,
    // Everything is served by the node itself: no polyfill injected into the page.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
