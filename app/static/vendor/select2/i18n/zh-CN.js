/* Select2 4.0.13 language file zh-CN (the texts of select2's own i18n/zh-CN.js, MIT licence), served locally:
   registered in select2's AMD loader so that language: "zh-CN" finds it without any download. */
(function () {
  "use strict";
  var amd = window.jQuery && jQuery.fn && jQuery.fn.select2 && jQuery.fn.select2.amd;
  if (!amd) { return; }
  amd.define("select2/i18n/zh-CN", [], function () {
    return {
      errorLoading: function () { return "无法载入结果。"; },
      inputTooLong: function (args) { return "请删除" + (args.input.length - args.maximum) + "个字符"; },
      inputTooShort: function (args) { return "请再输入至少" + (args.minimum - args.input.length) + "个字符"; },
      loadingMore: function () { return "载入更多结果…"; },
      maximumSelected: function (args) { return "最多只能选择" + args.maximum + "个项目"; },
      noResults: function () { return "未找到结果"; },
      searching: function () { return "搜索中…"; },
      removeAllItems: function () { return "删除所有项目"; }
    };
  });
})();
