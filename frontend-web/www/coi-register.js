// Registers coi-sw.js when the page is not cross-origin isolated (a host without
// COOP/COEP headers) and reloads once it controls the page. A classic script, loaded
// first by index.html; does nothing when the headers are already there.
(function () {
  if (self.crossOriginIsolated || !('serviceWorker' in navigator)) return;
  if (sessionStorage.getItem('webvm-coi-reloaded')) return; // avoid a reload loop
  navigator.serviceWorker.register('coi-sw.js').then((reg) => {
    const reload = () => {
      sessionStorage.setItem('webvm-coi-reloaded', '1');
      location.reload();
    };
    if (navigator.serviceWorker.controller) reload();
    else navigator.serviceWorker.addEventListener('controllerchange', reload);
    if (reg.active && !navigator.serviceWorker.controller) reg.active.postMessage('claim');
  });
})();
