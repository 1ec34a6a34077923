// The volunteer's card as the phone last fetched it, with how old that is, and
// the QR of the code for this minute, drawn here from the codes kept for the
// coming hours (server/field/service.py), so it changes without signal too.
(function () {
  "use strict";

  var UI = window.FieldUI;
  var card = null;
  var shown = null;

  function byId(id) { return document.getElementById(id); }

  function qrDataUrl(text) {
    var qr = window.qrcode(0, "M");
    qr.addData(text);
    qr.make();
    return qr.createDataURL(8, 4);
  }

  function currentCode() {
    var now = Date.now();
    return card.codes.filter(function (code) {
      return new Date(code.from).getTime() <= now && now < new Date(code.until).getTime();
    })[0];
  }

  function showCode() {
    if (!card) return;
    var code = currentCode();
    var gone = !code;
    byId("field-card-qr").hidden = gone;
    byId("field-card-short-code").textContent = gone ? "" : code.short_code;
    UI.show("field-card-codes-gone", gone ? UI.t("codes_gone") : "");
    if (!gone && shown !== code.token) {
      byId("field-card-qr").src = qrDataUrl(code.token);
      byId("field-card-qr").dataset.token = code.token;
      shown = code.token;
    }
    byId("field-card-age").textContent = UI.t("card_age", { what: UI.age(card.kept_at) });
  }

  async function render() {
    card = await window.FieldStore.getMeta("card");
    var none = !card;
    UI.show("field-card-none", none ? UI.t("card_none") : "");
    byId("field-card").hidden = none;
    byId("field-card-hours").hidden = none;
    if (none) return;
    byId("field-card-name").textContent = card.name;
    byId("field-card-volunteer-no").textContent = card.volunteer_no;
    byId("field-card-station").textContent = card.station;
    var stars = byId("field-card-stars");
    stars.textContent = "★".repeat(card.star_level) + "☆".repeat(Math.max(0, 5 - card.star_level));
    stars.setAttribute("aria-label", UI.t("stars", { n: card.star_level }));
    stars.dataset.level = String(card.star_level);
    var photo = byId("field-card-photo");
    photo.hidden = !card.photo;
    if (card.photo) photo.src = card.photo;
    byId("field-card-hours-year-label").textContent = UI.t("hours_in_year", { year: card.year });
    byId("field-card-hours-year").textContent = card.hours_year;
    byId("field-card-hours-total").textContent = card.hours_total;
    shown = null;
    showCode();
  }

  document.addEventListener("DOMContentLoaded", function () {
    UI.ready().then(render);
    document.addEventListener("field:changed", render);
    setInterval(showCode, 5000);
  });
})();
