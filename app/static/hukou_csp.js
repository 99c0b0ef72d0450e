/* Hukou Desk: what used to be inline <script> in our and Flask-AppBuilder's templates, so the CSP can be
   script-src 'self'. Loaded at the end of <body>, after jQuery, Bootstrap, select2, ab.js and hukou.js.
   1. Chinese for FAB's hard-coded English (strings from the JSON block #hk-i18n), YYYY-MM-DD dates.
   2. FAB's list/show page actions, delete buttons and search filters (data-hk-* attributes).
   3. The navbar's logout link signs out by POST with the CSRF token; the print button prints. */
(function ($) {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // ---- 1. translations for FAB's JS ----
  var i18n = readJson("hk-i18n") || {text: {}, select2: {}, locale: "en"};
  function tr(s) { return Object.prototype.hasOwnProperty.call(i18n.text, s) ? i18n.text[s] : s; }

  // A file input's own button and "No file chosen" speak the browser's language, not the page's: our pickers
  // hide the input inside a labelled button (.hk-file-pick) and show the chosen names here.
  $(document).on("change", ".hk-file-pick input[type=file]", function () {
    var names = Array.prototype.map.call(this.files || [], function (f) { return f.name; });
    $(this).closest(".hk-file-pick").find(".hk-file-names").text(names.length ? names.join("、") : tr("No file chosen"));
  });
  $(".hk-file-pick .hk-file-names").text(tr("No file chosen"));

  // ab_actions.js calls the global ab_alert('No row selected').
  var fabAlert = window.ab_alert;
  if (fabAlert) { window.ab_alert = function (s) { return fabAlert(tr(s)); }; }

  // ab.js / ab_filters.js pass placeholder "Select" / "Select a State" on every select2 call.
  if ($.fn.select2) {
    var fabSelect2 = $.fn.select2;
    $.fn.select2 = function (options) {
      var args = Array.prototype.slice.call(arguments);
      if (options && typeof options === "object" && options.placeholder) {
        args[0] = $.extend({}, options, {placeholder: tr(options.placeholder)});
      }
      return fabSelect2.apply(this, args);
    };
    $.extend($.fn.select2, fabSelect2);
    var s2 = i18n.select2 || {};
    // Chinese: select2's zh-CN language file (app/static/vendor/select2/i18n/zh-CN.js), every text included.
    $.fn.select2.defaults.set("language", i18n.locale === "zh" ? "zh-CN" : {
      noResults: function () { return s2.noResults; },
      searching: function () { return s2.searching; },
      loadingMore: function () { return s2.loadingMore; },
      errorLoading: function () { return s2.errorLoading; },
      removeAllItems: function () { return s2.removeAllItems; }
    });
  }

  if ($.fn.datepicker) {
    // Dates are always entered as YYYY-MM-DD, also for pickers created lazily by data-provide.
    $.fn.datepicker.defaults.format = "yyyy-mm-dd";
    if (i18n.locale === "zh") {
      $.fn.datepicker.dates["zh-CN"] = {
        days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        daysMin: ["日", "一", "二", "三", "四", "五", "六"],
        months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
        monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
        today: "今天", monthsTitle: "选择月份", clear: "清除",
        format: "yyyy-mm-dd", titleFormat: "yyyy年mm月", weekStart: 1
      };
      $.fn.datepicker.defaults.language = "zh-CN";
    }
    // ab_filters.js calls $.fn.datetimepicker, which FAB does not bundle: map it to the datepicker.
    if (!$.fn.datetimepicker) {
      $.fn.datetimepicker = function () { return this.datepicker({format: "yyyy-mm-dd"}); };
    }
  }

  // ---- 2. FAB's actions, deletes and filters ----
  // The confirmation goes into the modal with .html(): keep it text, as FAB's escaped inline strings were.
  function confirmationHtml(el) {
    var text = el.getAttribute("data-hk-confirm");
    return text ? $("<div>").text(text).html() : false;
  }

  // Search filters: FAB built them in an inline script before DOM-ready, so ab.js's select2 set-up sees them.
  $("form[data-hk-filters]").each(function () {
    var data = JSON.parse(this.getAttribute("data-hk-filters"));
    new window.AdminFilters("#" + this.id, data.labels, data.form, data.filters, data.active);
  });

  $(function () {
    if ($("[data-hk-model-actions]").length) {
      window.modelActions = new window.AdminActions();
    }
    $(document).on("click", "[data-hk-single-action]", function (e) {
      e.preventDefault();
      return new window.AdminActions().execute_single(this.getAttribute("data-hk-single-action"),
                                                      confirmationHtml(this));
    });
    $(document).on("click", "[data-hk-multiple-action]", function (e) {
      e.preventDefault();
      return window.modelActions.execute_multiple(this.getAttribute("data-hk-multiple-action"),
                                                  confirmationHtml(this));
    });
    $(document).on("click", "[data-hk-delete]", function (e) {
      e.preventDefault();
      return new window.AdminActions().execute_single_delete(this.getAttribute("data-hk-delete"),
                                                             this.getAttribute("data-hk-confirm"));
    });

    // ---- 3. logout by POST, print button ----
    var logoutForm = $("#hk-logout-form");
    $(document).on("click", "a[href$='/logout/']", function (e) {
      if (!logoutForm.length) { return true; }  // no form: the link opens the confirmation page
      e.preventDefault();
      logoutForm.trigger("submit");
      return false;
    });
    $("#hk-print").on("click", function () { window.print(); });
  });
})(jQuery);
