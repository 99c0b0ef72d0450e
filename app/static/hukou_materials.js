/* Materials panel of the application page (templates/application_materials.html), without inline script:
   - verify / stamp / return / delete / 「全部核验通过」 by fetch: the JSON answer carries the refreshed panel, which
     replaces the old one in place (the scroll position is kept); without JavaScript the forms POST as usual;
   - uploads: each checklist line's button sends its files at once; the general form gives every chosen or
     dropped file its own material type, pre-selecting types not uploaded yet (never one already uploaded);
   - preview of PDF and images in the pane beside the checklist;
   - 提交 with required materials not uploaded asks for confirmation, listing them (data-confirm of the panel).
   All texts come from data-* attributes rendered in Chinese by the server. */
(function () {
  "use strict";

  function wrap() { return document.querySelector(".hk-materials-wrap"); }
  function panel() { return document.getElementById("hk-materials"); }
  function text(name) { var w = wrap(); return (w && w.getAttribute("data-text-" + name)) || ""; }

  function show(message, ok) {
    var box = document.querySelector("#hk-materials .hk-materials-msg");
    if (!box) { return; }
    box.innerHTML = "";
    if (!message) { return; }
    var div = document.createElement("div");
    div.className = "alert " + (ok ? "alert-success" : "alert-danger");
    div.textContent = message;
    box.appendChild(div);
  }

  function replacePanel(html) {
    var old = panel();
    if (!old || !html) { return; }
    var y = window.scrollY;
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.querySelector("#hk-materials");
    if (fresh) { old.replaceWith(fresh); }
    window.scrollTo(0, y);
    init();
  }

  function send(url, data) {
    show(text("uploading"), true);
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().catch(function () { return {ok: false, message: text("failed")}; });
      })
      .then(function (body) {
        if (body.ok) { replacePanel(body.html); }
        show(body.message || (body.ok ? "" : text("failed")), !!body.ok);
      })
      .catch(function () { show(text("failed"), false); });
  }

  /* --- general multi-upload: one type per file --------------------------------------------------------- */
  var picked = [];

  function openTypes(select) {
    return Array.prototype.filter.call(select.options, function (o) { return o.getAttribute("data-open") === "1"; })
      .map(function (o) { return o.value; });
  }

  function renderPicks(form) {
    var main = form.querySelector(".hk-multi-type");
    var box = form.querySelector(".hk-picks");
    box.innerHTML = "";
    var used = [];
    var open = openTypes(main);
    // with a list of files, each file has its own selector: the single one would only confuse
    [main, form.querySelector(".hk-multi-type-label")].forEach(function (el) {
      if (el) { el.style.display = picked.length ? "none" : ""; }
    });
    picked.forEach(function (item, i) {
      if (!item.type) {  // first file: the type shown; then the next type still to provide, never an uploaded one
        var next = open.filter(function (v) { return used.indexOf(v) < 0; })[0];
        item.type = i === 0 ? main.value : (next || main.value);
      }
      used.push(item.type);
      var row = document.createElement("div");
      row.className = "hk-pick-row";
      var name = document.createElement("span");
      name.textContent = item.file.name;
      var sel = main.cloneNode(true);
      sel.removeAttribute("id");
      sel.style.display = "";
      sel.removeAttribute("name");
      sel.className = "form-control input-sm hk-pick-type";
      sel.setAttribute("aria-label", text("type") + "：" + item.file.name);
      sel.value = item.type;
      sel.addEventListener("change", function () { item.type = sel.value; });
      row.appendChild(name);
      row.appendChild(sel);
      box.appendChild(row);
    });
  }

  function addFiles(form, files) {
    Array.prototype.forEach.call(files, function (f) { picked.push({file: f, type: null}); });
    renderPicks(form);
  }

  function sendPicks(form) {
    var data = new FormData();
    data.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    data.append("next", form.querySelector("[name=next]").value);
    picked.forEach(function (item) {
      data.append("material_type_id", item.type);
      data.append("file", item.file, item.file.name);
    });
    picked = [];
    return send(form.action, data);
  }

  function lineUpload(form, files) {
    var data = new FormData();
    data.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    data.append("next", form.querySelector("[name=next]").value);
    Array.prototype.forEach.call(files, function (f) {
      data.append("material_type_id", form.querySelector("[name=material_type_id]").value);
      data.append("file", f, f.name);
    });
    return send(form.action, data);
  }

  /* --- events (delegated: the panel is replaced after every action) ---------------------------------- */
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.classList.contains("hk-line-file") && t.files.length) {
      lineUpload(t.form, t.files);
    } else if (t.id === "hk-multi-file" && t.files.length) {
      picked = [];
      addFiles(t.form, t.files);
    }
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.closest || !form.closest("#hk-materials")) { return; }
    if (form.classList.contains("hk-upload")) {
      if (!picked.length) { return; }  // nothing picked through the list: the plain POST
      e.preventDefault();
      sendPicks(form);
    } else if (form.classList.contains("hk-ajax") || form.classList.contains("hk-line-upload")) {
      e.preventDefault();
      var submitter = e.submitter;
      var url = (submitter && submitter.getAttribute("formaction")) || form.action;
      send(url, new FormData(form));
    }
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest(".hk-preview-link");
    if (link) {
      e.preventDefault();
      preview(link);
      return;
    }
    if (e.target.closest && e.target.closest(".hk-preview-close")) {
      var pane = document.getElementById("hk-preview");
      if (pane) { pane.hidden = true; pane.querySelector(".hk-preview-body").innerHTML = ""; }
      return;
    }
    var button = e.target.closest && e.target.closest('button[data-action="submit"], button[name="do"][value="submit"]');
    var p = panel();
    if (button && p) {
      var question = p.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { e.preventDefault(); e.stopPropagation(); }
    }
  }, true);

  function preview(link) {
    var pane = document.getElementById("hk-preview");
    if (!pane) { window.open(link.href, "_blank", "noopener"); return; }
    var body = pane.querySelector(".hk-preview-body");
    body.innerHTML = "";
    var el;
    if (link.getAttribute("data-kind") === "pdf") {
      el = document.createElement("iframe");
      el.title = link.getAttribute("data-name") || "";
    } else {
      el = document.createElement("img");
      el.alt = link.getAttribute("data-name") || "";
    }
    el.src = link.href;
    body.appendChild(el);
    pane.querySelector(".hk-preview-title").textContent = link.getAttribute("data-name") || "";
    pane.hidden = false;
    if (pane.getBoundingClientRect().top > window.innerHeight) { pane.scrollIntoView({behavior: "smooth"}); }
  }

  function dragTarget(e) {
    return e.target.closest && (e.target.closest(".hk-dropzone") || e.target.closest(".hk-line"));
  }

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      var zone = dragTarget(e);
      if (!zone || !(zone.querySelector(".hk-line-upload") || zone.classList.contains("hk-dropzone"))) { return; }
      e.preventDefault();
      zone.classList.add("hk-dragover");
    });
  });
  document.addEventListener("dragleave", function (e) {
    var zone = dragTarget(e);
    if (zone) { zone.classList.remove("hk-dragover"); }
  });
  document.addEventListener("drop", function (e) {
    var zone = dragTarget(e);
    if (!zone || !e.dataTransfer || !e.dataTransfer.files.length) { return; }
    zone.classList.remove("hk-dragover");
    if (zone.classList.contains("hk-dropzone")) {
      e.preventDefault();
      addFiles(zone, e.dataTransfer.files);
    } else if (zone.querySelector(".hk-line-upload")) {
      e.preventDefault();
      lineUpload(zone.querySelector(".hk-line-upload"), e.dataTransfer.files);
    }
  });

  function init() {
    document.querySelectorAll("#hk-materials .hk-nojs").forEach(function (b) { b.style.display = "none"; });
    var multi = document.getElementById("hk-multi-file");
    if (multi) { multi.required = false; }  // dropped files are sent without the input
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
