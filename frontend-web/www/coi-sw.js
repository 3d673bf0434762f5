// A service worker for static hosts that cannot set headers: it re-serves every
// same-origin response with Cross-Origin-Opener-Policy: same-origin,
// Cross-Origin-Embedder-Policy: require-corp and Cross-Origin-Resource-Policy:
// same-origin, which make the page cross-origin isolated (SharedArrayBuffer).
//
// Owns header rewriting only. Register it from the page before anything else (see
// coi-register.js); the first visit reloads once so the page comes under its control.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
  if (new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(
    fetch(req).then((resp) => {
      if (resp.status === 0) return resp;
      const headers = new Headers(resp.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(resp.body, { status: resp.status, statusText: resp.statusText, headers });
    }),
  );
});
