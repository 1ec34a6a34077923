// The outbox: every record still on this phone with its status, the server's
// message for refused ones (discard, or correct and save as a new record), and
// the records the server has answered.
(function () {
  "use strict";

  var UI = window.FieldUI;

  function byId(id) { return document.getElementById(id); }

  function kindText(record) {
    if (record.kind === "visit") return UI.t("kind_visit");
    return UI.t(record.op === "out" ? "kind_out" : "kind_in");
  }

  function whatText(record) {
    var s = record.summary || {};
    if (record.kind === "visit") {
      var parts = [s.recipient, UI.when(new Date(s.started_at).getTime()) + "–" +
        UI.when(new Date(s.ended_at).getTime()), UI.t("volunteers_present", { n: s.volunteers })];
      if (s.photo) parts.push(UI.t("with_photo"));
      return parts.join(" · ");
    }
    return [s.volunteer, s.activity].filter(Boolean).join(" · ");
  }

  function correctUrl(record) {
    var urls = UI.config().urls;
    if (record.kind === "visit") return urls.field_visit_new + "?correct=" + encodeURIComponent(record.id);
    if (record.payload && record.payload.card_token) return urls.field_checkins + "?correct=" + encodeURIComponent(record.id);
    return null;
  }

  function item(record) {
    var node = byId("record-template").content.firstElementChild.cloneNode(true);
    node.id = "record-" + record.id;
    node.dataset.status = record.status;
    node.dataset.kind = record.kind;
    node.classList.add("record-" + record.status);
    node.querySelector(".record-kind").textContent = kindText(record);
    node.querySelector(".record-what").textContent = whatText(record);
    node.querySelector(".record-made").textContent = UI.when(new Date(record.made_at).getTime());
    node.querySelector(".record-status").textContent = UI.t("status_" + record.status);
    var message = node.querySelector(".record-message");
    message.textContent = record.status === "accepted" ? "" : record.message || "";
    message.hidden = !message.textContent;
    var actions = node.querySelector(".record-actions");
    actions.hidden = record.status !== "refused";
    var correct = node.querySelector(".record-correct");
    var url = record.status === "refused" ? correctUrl(record) : null;
    correct.id = "correct-" + record.id;
    if (url) correct.href = url;
    else correct.remove();
    var discard = node.querySelector(".record-discard");
    discard.id = "discard-" + record.id;
    discard.addEventListener("click", function () { drop(record.id); });
    return node;
  }

  async function drop(id) {
    if (!window.confirm(UI.t("discard_confirm"))) return;
    await window.FieldStore.discard(id);
    await UI.refresh();
  }

  async function render() {
    var waiting = await window.FieldStore.outbox();
    var list = byId("outbox-list");
    list.replaceChildren.apply(list, waiting.map(item));
    if (!waiting.length) {
      var empty = document.createElement("li");
      empty.id = "outbox-empty";
      empty.textContent = UI.t("outbox_empty");
      list.appendChild(empty);
    }
    var answered = await window.FieldStore.sent();
    var sentList = byId("sent-list");
    sentList.replaceChildren.apply(sentList, answered.map(item));
    list.dataset.ready = "yes";
  }

  document.addEventListener("DOMContentLoaded", function () {
    UI.ready().then(render);
    document.addEventListener("field:changed", render);
  });
})();
