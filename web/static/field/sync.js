// Sending the outbox and fetching the phone's data (docs/sync.md): push, pull,
// and the volunteer's card. Never twice at once, in this tab or another: a Web
// Lock where the browser has them, else a flag in IndexedDB with an expiry.
(function () {
  "use strict";

  var MAX_RECORDS = 500;
  var MAX_BYTES = 8 * 1000 * 1000;
  var FLAG_MS = 2 * 60 * 1000;
  var HEADERS = { "X-Requested-With": "sync", Accept: "application/json" };

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("field-sync", { ifAvailable: true }, function (lock) {
        return lock ? work() : { state: "busy" };
      });
    }
    return window.FieldStore.takeFlag(FLAG_MS).then(function (token) {
      if (!token) return { state: "busy" };
      return Promise.resolve()
        .then(work)
        .finally(function () { return window.FieldStore.dropFlag(token); });
    });
  }

  function wire(record) {
    return {
      id: record.id,
      seq: record.seq,
      made_at: record.made_at,
      kind: record.kind,
      op: record.op,
      payload: record.payload,
    };
  }

  // Records in seq order, cut into pushes of at most 500 records and 8 MB.
  function batches(records) {
    var out = [];
    var current = [];
    var bytes = 0;
    records.forEach(function (record) {
      var size = JSON.stringify(wire(record)).length + 1;
      if (current.length && (current.length >= MAX_RECORDS || bytes + size > MAX_BYTES)) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(record);
      bytes += size;
    });
    if (current.length) out.push(current);
    return out;
  }

  async function request(url, options) {
    var response;
    try {
      response = await fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options));
    } catch (error) {
      return { error: "network" };
    }
    var body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (response.ok && body) return { body: body };
    return {
      error: (body && body.error) || "http_" + response.status,
      status: response.status,
      message: body && body.message,
    };
  }

  async function post(urls, records) {
    var deviceId = await window.FieldStore.getMeta("device_id");
    return request(urls.push, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, HEADERS),
      body: JSON.stringify({
        device_id: deviceId,
        sent_at: window.FieldStore.isoWithOffset(),
        records: records.map(wire),
      }),
    });
  }

  // One push of `records`, halved when the server finds it too large, with a
  // new device id once if this one belongs to someone else.
  async function pushBatch(urls, records, tally) {
    var answer = await post(urls, records);
    if (answer.error === "device_taken") {
      await window.FieldStore.newDevice();
      var again = await window.FieldStore.sendable();
      var ids = records.map(function (r) { return r.id; });
      records = again.filter(function (r) { return ids.indexOf(r.id) >= 0; });
      answer = await post(urls, records);
    }
    if (answer.status === 413 && records.length > 1) {
      var half = Math.ceil(records.length / 2);
      var first = await pushBatch(urls, records.slice(0, half), tally);
      return first || pushBatch(urls, records.slice(half), tally);
    }
    if (answer.error) return answer;
    var counted = await window.FieldStore.answer(answer.body.results || []);
    Object.keys(counted).forEach(function (key) { tally[key] += counted[key]; });
    await window.FieldStore.setMeta("clock", {
      offset: answer.body.clock_offset_seconds || 0,
      flagged: Boolean(answer.body.clock_flagged),
    });
    return null;
  }

  async function push(urls, tally) {
    // Held records are sent again after the others: their base may just have come.
    for (var pass = 0; pass < 3; pass++) {
      var records = await window.FieldStore.sendable();
      if (pass > 0) records = records.filter(function (r) { return r.status === "held"; });
      if (!records.length) return null;
      var before = tally.accepted + tally.conflict + tally.refused;
      var groups = batches(records);
      for (var i = 0; i < groups.length; i++) {
        var failed = await pushBatch(urls, groups[i], tally);
        if (failed) return failed;
      }
      if (tally.accepted + tally.conflict + tally.refused === before) return null;
    }
    return null;
  }

  async function pull(urls) {
    var cursor = await window.FieldStore.getMeta("cursor");
    var url = urls.pull + (cursor ? "?cursor=" + encodeURIComponent(cursor) : "");
    var answer = await request(url, { headers: HEADERS });
    if (answer.error) return answer;
    var data = answer.body;
    if (data.full) {
      await window.FieldStore.setMeta("pulled", {
        teams: data.teams || [],
        volunteers: data.volunteers || [],
        recipients: data.recipients || [],
        activities: data.activities || [],
        server_time: data.server_time,
        pulled_at: Date.now(),
      });
    } else {
      var pulled = await window.FieldStore.getMeta("pulled");
      if (pulled) {
        pulled.pulled_at = Date.now();
        await window.FieldStore.setMeta("pulled", pulled);
      }
    }
    await window.FieldStore.setMeta("cursor", data.cursor);
    return null;
  }

  async function card(urls) {
    var answer = await request(urls.card_data, { headers: HEADERS });
    if (answer.status === 404) {
      await window.FieldStore.setMeta("card", null);
      return null;
    }
    if (answer.error) return answer;
    answer.body.kept_at = Date.now();
    await window.FieldStore.setMeta("card", answer.body);
    return null;
  }

  // Send, then fetch. Resolves to {state, tally, error}; state is one of
  // done, offline, busy, failed (nothing lost: try later), login, error.
  function run(config) {
    if (!navigator.onLine) return Promise.resolve({ state: "offline" });
    return withLock(async function () {
      var tally = { accepted: 0, conflict: 0, refused: 0, held: 0 };
      var failed = await push(config.urls, tally);
      if (!failed) failed = await pull(config.urls);
      if (!failed && config.has_card) failed = await card(config.urls);
      if (!failed) {
        await window.FieldStore.setMeta("last_sync", Date.now());
        return { state: "done", tally: tally };
      }
      var state = "error";
      if (failed.error === "network" || failed.error === "retry" || failed.status >= 500) state = "failed";
      if (failed.error === "login_required" || failed.status === 401) state = "login";
      return { state: state, tally: tally, error: failed };
    });
  }

  window.FieldSync = { run: run, batches: batches };
})();
