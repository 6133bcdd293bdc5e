importScripts('https://storage.googleapis.com/workbox-cdn/releases/7.0.0/workbox-sw.js');
workbox.routing.registerRoute(({ request }) => request.destination === 'image', new workbox.strategies.CacheFirst());
self.addEventListener('fetch', (event) => { event.respondWith(fetch(event.request)); });
