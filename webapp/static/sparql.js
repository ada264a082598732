// The query page works without this file; it only adds Ctrl/Cmd+Enter to run.
(function () {
  "use strict";
  var editor = document.getElementById("query");
  if (!editor) { return; }
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      editor.form.requestSubmit ? editor.form.requestSubmit() : editor.form.submit();
    }
    if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey) {
      // indent instead of leaving the editor; Shift+Tab / Esc then Tab still move focus
      event.preventDefault();
      var start = editor.selectionStart, end = editor.selectionEnd;
      editor.setRangeText("  ", start, end, "end");
    }
  });
})();
