/* Hukou Desk: the progress page of a background job polls its JSON status every 1.5 s until done or failed. */
(function () {
  "use strict";
  var box = document.querySelector("[data-hk-job-status]");
  if (!box) { return; }
  var url = box.getAttribute("data-hk-job-status");
  function show(s) {
    var bar = box.querySelector(".hk-job-bar");
    bar.style.width = s.percent + "%";
    bar.setAttribute("aria-valuenow", s.percent);
    bar.textContent = s.percent + "%";
    box.querySelector(".hk-job-status").textContent = s.status_label;
    box.querySelector(".hk-job-count").textContent = s.done + " / " + (s.total === null ? "—" : s.total);
    box.querySelector(".hk-job-message").textContent = s.message || "";
    if (s.download) {
      box.querySelector(".hk-job-download").setAttribute("href", s.download);
      box.querySelector(".hk-job-name").textContent = s.name || "";
      box.querySelector(".hk-job-result").hidden = false;
    }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show(s);
        if (s.status === "queued" || s.status === "running") { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
