/* Hukou Desk: 「从身份证扫描件识别」 on the resident add form. Uploads the scan (with the CSRF token) to the
   OCR endpoint, fills the form, marks each filled field with its confidence (low ones in red) and makes the
   user confirm the values before the form is saved. Texts come translated in data-* attributes. */
(function () {
  "use strict";
  var box = document.querySelector("[data-hk-ocr-url]");
  if (!box) { return; }
  var form = box.parentNode.querySelector("form");
  var low = parseFloat(box.getAttribute("data-hk-ocr-low")) || 0.9;
  var FIELDS = {name: "name", gender: "gender", ethnicity: "ethnicity", birth_date: "birth_date",
                id_number: "id_number", address: "former_address"};
  function msg(key) { return box.getAttribute("data-hk-msg-" + key) || ""; }
  function status(text) { box.querySelector(".hk-ocr-status").textContent = text; }
  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll(".hk-ocr-mark"), function (el) { el.remove(); });
    Array.prototype.forEach.call(document.querySelectorAll(".hk-ocr-filled"), function (el) {
      el.classList.remove("hk-ocr-filled"); el.style.backgroundColor = ""; });
  }
  function fill(key, value, score) {
    var el = form && form.querySelector("[name=" + FIELDS[key] + "]");
    if (!el || value === null || value === undefined || value === "") { return; }
    el.value = value;
    el.dispatchEvent(new Event("change", {bubbles: true}));
    el.classList.add("hk-ocr-filled");
    el.style.backgroundColor = score >= low ? "#fcf8e3" : "#f2dede";
    var mark = document.createElement("span");
    mark.className = "hk-ocr-mark help-block " + (score >= low ? "text-muted" : "text-danger");
    mark.textContent = msg("confidence") + " " + Math.round(score * 100) + "%";
    el.parentNode.appendChild(mark);
  }
  function show(result) {
    var list = box.querySelector(".hk-ocr-warnings");
    list.textContent = "";
    (result.warnings || []).forEach(function (w) {
      var li = document.createElement("li"); li.textContent = w; list.appendChild(li);
    });
    if (result.side !== "front") { status(result.side === "back" ? msg("back") : msg("failed")); return; }
    var conf = result.field_confidence || {};
    Object.keys(FIELDS).forEach(function (k) { fill(k, result[k], conf[k] || result.confidence || 0); });
    status(msg("filled"));
    box.querySelector(".hk-ocr-confirm").hidden = false;
    box.querySelector(".hk-ocr-confirm-box").checked = false;
    form.setAttribute("data-hk-ocr-needs-confirm", "1");
  }
  box.querySelector(".hk-ocr-go").addEventListener("click", function () {
    var file = box.querySelector(".hk-ocr-file").files[0];
    if (!file) { status(msg("nofile")); return; }
    var data = new FormData();
    data.append("file", file);
    data.append("csrf_token", csrf());
    clearMarks();
    status(msg("reading"));
    fetch(box.getAttribute("data-hk-ocr-url"), {method: "POST", body: data, credentials: "same-origin",
                                                 headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (!res.ok) {
          var m = res.body.message;
          status(msg("failed") + "：" + (typeof m === "string" ? m : JSON.stringify(m)));
          return;
        }
        show(res.body.result);
      })
      .catch(function () { status(msg("failed")); });
  });
  if (form) {
    form.addEventListener("submit", function (ev) {
      if (form.getAttribute("data-hk-ocr-needs-confirm") === "1" &&
          !box.querySelector(".hk-ocr-confirm-box").checked) {
        ev.preventDefault();
        status(msg("confirm"));
        box.querySelector(".hk-ocr-confirm-box").focus();
      }
    });
  }
})();
