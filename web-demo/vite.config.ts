import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The built page's Content-Security-Policy. Decrypted text is only ever set as text, so no
// markup from a recording can run; the policy also keeps the page from loading or sending
// anything anywhere but its own origin. VIEWER_CONNECT_SRC adds origins the page may fetch
// from (e.g. an S3 bucket's origin serving the signed download URLs, or another sync server
// that answers CORS), separated by spaces.
function csp(): string {
  const extra = (process.env.VIEWER_CONNECT_SRC ?? '').trim();
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    // blob: is the page's own memory (decrypted media), never a network destination.
    `connect-src 'self' blob:${extra ? ` ${extra}` : ''}`,
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "style-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

const contentSecurityPolicy = (): Plugin => ({
  name: 'viewer-csp',
  apply: 'build',
  transformIndexHtml: {
    order: 'post',
    handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: csp() }, injectTo: 'head-prepend' }],
  },
});

export default defineConfig({
  base: './',
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  worker: { format: 'es' },
  server: {
    // `npm run dev` with a sync-server on 127.0.0.1:8787 (SYNC_SERVER for another address).
    proxy: { '/api/sync': process.env.SYNC_SERVER ?? 'http://127.0.0.1:8787' },
  },
});
