// The phone's outbox and offline data, in IndexedDB (through the vendored idb).
//
//   outbox  records saved on this phone that the server has not answered finally:
//           waiting, held (kept and resent) or refused (kept, with the server's
//           message, until discarded or corrected)
//   sent    records the server answered finally (accepted, duplicate, conflict),
//           kept to show them as confirmed; wiped on logout like everything else
//   meta    owner (user id), device_id, seq (the last sequence number used),
//           cursor, pulled (teams, volunteers, recipients, activities), card,
//           last_sync, clock, sync_lock
//
// Every record gets an id made here, the device's next sequence number (the
// counter is read and written in the same transaction as the record) and the
// phone's clock with its offset (docs/sync.md).
(function () {
  "use strict";

  var DB_NAME = "field";
  var DB_VERSION = 1;
  var SENT_KEPT = 200;
  var opening = null;

  function open() {
    if (!opening) {
      opening = window.idb.openDB(DB_NAME, DB_VERSION, {
        upgrade: function (db) {
          db.createObjectStore("outbox", { keyPath: "id" }).createIndex("seq", "seq");
          db.createObjectStore("sent", { keyPath: "id" }).createIndex("answered_at", "answered_at");
          db.createObjectStore("meta");
        },
        // Logout (wipe.js) deletes the database: let go of it at once.
        blocking: function () { close(); },
        terminated: function () { opening = null; },
      });
    }
    return opening;
  }

  function close() {
    var was = opening;
    opening = null;
    return was ? was.then(function (db) { db.close(); }, function () {}) : Promise.resolve();
  }

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  // ISO 8601 with the phone's own offset, e.g. 2026-06-01T09:30:00.123+08:00.
  function isoWithOffset(date) {
    var d = date || new Date();
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var abs = Math.abs(offset);
    return (
      d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      "." + pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60)
    );
  }

  // crypto.randomUUID is missing on older phones: the same v4 UUID from random bytes.
  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return pad(x.toString(16)); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  async function getMeta(key) {
    return (await open()).get("meta", key);
  }

  async function setMeta(key, value) {
    return (await open()).put("meta", value, key);
  }

  // Whose phone data this is. A new login on a phone without waiting records
  // starts afresh with a new device id; records of another login are never sent
  // with this one's: they wait for that person (`foreign` says how many).
  async function claim(userId) {
    var db = await open();
    var tx = db.transaction(["outbox", "sent", "meta"], "readwrite");
    var meta = tx.objectStore("meta");
    var owner = await meta.get("owner");
    var waiting = await tx.objectStore("outbox").count();
    var foreign = 0;
    if (owner !== userId) {
      if (owner === undefined || waiting === 0) {
        await tx.objectStore("outbox").clear();
        await tx.objectStore("sent").clear();
        await meta.clear();
        await meta.put(userId, "owner");
      } else {
        foreign = waiting;
      }
    }
    if (!foreign && (await meta.get("device_id")) === undefined) {
      await meta.put(uuid(), "device_id");
      await meta.put(0, "seq");
    }
    await tx.done;
    return { foreign: foreign };
  }

  // Save a record in the outbox; `madeAt` (a Date) when the moment was earlier,
  // such as a scan made before its button was pressed.
  async function add(kind, op, payload, summary, madeAt) {
    var db = await open();
    var tx = db.transaction(["outbox", "meta"], "readwrite");
    var meta = tx.objectStore("meta");
    var seq = ((await meta.get("seq")) || 0) + 1;
    var record = {
      id: uuid(),
      seq: seq,
      made_at: isoWithOffset(madeAt),
      kind: kind,
      op: op,
      payload: payload,
      summary: summary || {},
      status: "waiting",
      reason: "",
      message: "",
      saved_at: Date.now(),
    };
    await meta.put(seq, "seq");
    await tx.objectStore("outbox").add(record);
    await tx.done;
    return record;
  }

  async function outbox() {
    return (await open()).getAllFromIndex("outbox", "seq");
  }

  async function sendable() {
    return (await outbox()).filter(function (r) { return r.status !== "refused"; });
  }

  async function sent() {
    var all = await (await open()).getAllFromIndex("sent", "answered_at");
    return all.reverse();
  }

  async function get(id) {
    return (await open()).get("outbox", id);
  }

  async function counts() {
    var records = await outbox();
    var refused = records.filter(function (r) { return r.status === "refused"; }).length;
    return { waiting: records.length - refused, refused: refused, total: records.length };
  }

  // The server's answers: final ones leave the outbox for `sent`, except refusals
  // (a first answer, or a duplicate repeating one), which stay to be seen.
  async function answer(results) {
    var db = await open();
    var tx = db.transaction(["outbox", "sent"], "readwrite");
    var box = tx.objectStore("outbox");
    var done = tx.objectStore("sent");
    var tally = { accepted: 0, conflict: 0, refused: 0, held: 0 };
    for (var i = 0; i < results.length; i++) {
      var result = results[i];
      var record = await box.get(result.id);
      if (!record) continue;
      var status = result.status === "duplicate" ? result.first_status || "accepted" : result.status;
      record.reason = result.reason || "";
      record.message = result.message || "";
      if (status === "held" || status === "refused") {
        record.status = status;
        await box.put(record);
      } else if (status === "accepted" || status === "conflict") {
        delete record.payload; // the photo and details are the server's now
        record.status = status;
        record.answered_at = Date.now();
        await done.put(record);
        await box.delete(record.id);
      } else {
        continue; // an answer this phone does not know: keep the record waiting
      }
      tally[status] += 1;
    }
    await tx.done;
    await prune();
    return tally;
  }

  async function prune() {
    var all = await (await open()).getAllKeysFromIndex("sent", "answered_at");
    var db = await open();
    for (var i = 0; i < all.length - SENT_KEPT; i++) await db.delete("sent", all[i]);
  }

  // Only a refused record may be discarded: anything else could still count.
  async function discard(id) {
    var db = await open();
    var tx = db.transaction("outbox", "readwrite");
    var record = await tx.store.get(id);
    var gone = Boolean(record && record.status === "refused");
    if (gone) await tx.store.delete(id);
    await tx.done;
    return gone;
  }

  // The server gave this device id to someone else: a new one, and the records
  // not yet answered numbered again from 1 in their order (docs/sync.md, 409).
  async function newDevice() {
    var db = await open();
    var tx = db.transaction(["outbox", "meta"], "readwrite");
    var records = await tx.objectStore("outbox").index("seq").getAll();
    var seq = 0;
    for (var i = 0; i < records.length; i++) {
      seq += 1;
      records[i].seq = seq;
      await tx.objectStore("outbox").put(records[i]);
    }
    var deviceId = uuid();
    await tx.objectStore("meta").put(deviceId, "device_id");
    await tx.objectStore("meta").put(seq, "seq");
    await tx.done;
    return deviceId;
  }

  // The sync lock where the Web Locks API is missing: a flag with an expiry, set
  // only if no live flag is there, in one transaction.
  async function takeFlag(ms) {
    var db = await open();
    var tx = db.transaction("meta", "readwrite");
    var flag = await tx.store.get("sync_lock");
    var now = Date.now();
    var token = null;
    if (!flag || flag.expires < now) {
      token = uuid();
      await tx.store.put({ token: token, expires: now + ms }, "sync_lock");
    }
    await tx.done;
    return token;
  }

  async function dropFlag(token) {
    var db = await open();
    var tx = db.transaction("meta", "readwrite");
    var flag = await tx.store.get("sync_lock");
    if (flag && flag.token === token) await tx.store.delete("sync_lock");
    await tx.done;
  }

  window.FieldStore = {
    DB_NAME: DB_NAME,
    open: open,
    close: close,
    isoWithOffset: isoWithOffset,
    uuid: uuid,
    getMeta: getMeta,
    setMeta: setMeta,
    claim: claim,
    add: add,
    outbox: outbox,
    sendable: sendable,
    sent: sent,
    get: get,
    counts: counts,
    answer: answer,
    discard: discard,
    newDevice: newDevice,
    takeFlag: takeFlag,
    dropFlag: dropFlag,
  };
})();
