// The service worker of the offline field pages (server/field/controllers.py
// serves it at /sw.js with the version and the lists below filled in).
//
// One version = one pair of caches: the assets (static files, their URLs carrying
// ?v=VERSION) and the pages (user-specific, wiped on logout). A new version is
// installed completely, pages and assets together, before the old one is deleted.
// Pages: network first with a short timeout, then the cached page of this version.
// Never cached: /api/, anything not GET, and any request HTMX makes (HX-Request).
"use strict";

const VERSION = {{ version_json }};
const ASSETS = {{ assets_json }};
const PAGES = {{ pages_json }};
// Navigations that fall back to another page offline: the activity QR's link
// (/checkin?c=…) opens the offline check-in page, which reads the code itself.
const FALLBACKS = {{ fallbacks_json }};
const ASSET_CACHE = "field-assets-" + VERSION;
const PAGE_CACHE = "field-pages-" + VERSION;
const NAVIGATION_TIMEOUT_MS = 3000;

function isOwnPage(response) {
  return (
    response.ok &&
    !response.redirected &&
    response.type === "basic" &&
    response.headers.get("X-Field-Version") === VERSION
  );
}

async function precachePages() {
  const cache = await caches.open(PAGE_CACHE);
  const kept = await Promise.all(
    PAGES.map(async function (path) {
      const response = await fetch(new Request(path, { cache: "reload", credentials: "same-origin" }));
      if (!isOwnPage(response)) return false; // another role's page, or logged out
      await cache.put(path, response);
      return true;
    })
  );
  // The field home is every field user's: without it nobody is logged in, and the
  // old version (if any) stays until a later try.
  if (!kept[0]) throw new Error("field pages unavailable");
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    (async function () {
      try {
        const assets = await caches.open(ASSET_CACHE);
        await assets.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
        await precachePages();
      } catch (error) {
        await caches.delete(ASSET_CACHE);
        await caches.delete(PAGE_CACHE);
        throw error;
      }
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    (async function () {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("field-") && name !== ASSET_CACHE && name !== PAGE_CACHE)
          .map((name) => caches.delete(name))
      );
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (request.headers.has("HX-Request")) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
    return;
  }
  if (ASSETS.includes(url.pathname + url.search)) {
    event.respondWith(fromAssets(request));
  }
});

async function fromAssets(request) {
  const cache = await caches.open(ASSET_CACHE);
  const hit = await cache.match(request);
  return hit || fetch(request);
}

async function cachedPage(url) {
  const cache = await caches.open(PAGE_CACHE);
  const own = PAGES.includes(url.pathname) ? await cache.match(url.pathname) : null;
  if (own) return own;
  const instead = FALLBACKS[url.pathname];
  return instead ? cache.match(instead) : null;
}

async function navigate(request, url) {
  const network = fetch(request).then(async function (response) {
    if (PAGES.includes(url.pathname) && isOwnPage(response)) {
      const cache = await caches.open(PAGE_CACHE);
      await cache.put(url.pathname, response.clone());
    }
    return response;
  });
  network.catch(function () {}); // answered from the cache below instead
  const late = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS, null));
  try {
    const first = await Promise.race([network, late]);
    if (first) return first;
  } catch (error) {
    // No network: the cached page below.
  }
  const cached = await cachedPage(url);
  if (cached) return cached;
  try {
    return await network;
  } catch (error) {
    const home = await caches.open(PAGE_CACHE).then((cache) => cache.match(PAGES[0]));
    return home || Response.error();
  }
}
