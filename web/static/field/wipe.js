// Logging out wipes the phone: before a form marked `data-wipe-on-submit` posts,
// the offline database (outbox, pulled data, card, device id) and the caches of
// pages made for this user are deleted. Records still waiting are never lost
// silently: the user is asked first, in their language (the layout renders the
// question into this script's `data-confirm`).
(function () {
  "use strict";

  var script = document.currentScript;
  var question = (script && script.dataset.confirm) || "";
  var DB_NAME = "field";
  var BLOCKED_WAIT_MS = 3000;

  // How many records the outbox holds; 0 when there is no database at all.
  function waitingCount() {
    return new Promise(function (resolve) {
      var request;
      try {
        request = indexedDB.open(DB_NAME);
      } catch (error) {
        resolve(0);
        return;
      }
      request.onupgradeneeded = function () { request.transaction.abort(); }; // none: make none
      request.onerror = function () { resolve(0); };
      request.onsuccess = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          db.close();
          resolve(0);
          return;
        }
        var counting = db.transaction("outbox").objectStore("outbox").count();
        counting.onsuccess = function () { db.close(); resolve(counting.result); };
        counting.onerror = function () { db.close(); resolve(0); };
      };
    });
  }

  function deleteDatabase() {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = function () { resolve(); };
      // Another tab holds it open: the deletion goes on once it lets go.
      request.onblocked = function () { setTimeout(resolve, BLOCKED_WAIT_MS); };
    });
  }

  async function wipe() {
    if (window.FieldStore) await window.FieldStore.close();
    await deleteDatabase();
    if (window.caches) {
      var names = await caches.keys();
      await Promise.all(
        names.filter(function (n) { return n.indexOf("field-pages-") === 0; }).map(function (n) { return caches.delete(n); })
      );
    }
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-wipe-on-submit")) return;
      event.preventDefault();
      waitingCount()
        .then(function (count) {
          if (count > 0 && !window.confirm(question.split("{n}").join(String(count)))) return false;
          return wipe().then(function () { return true; });
        })
        .then(function (go) { if (go) form.submit(); })
        .catch(function () { form.submit(); });
    },
    true
  );
})();
