/* Progressive enhancement for every form of the tool (served as a file: no inline script, strict CSP).
   - data-confirm on a form: ask before a destructive action; the question is read from the attribute,
     so any quote in it is just text.
   - after a failed submit, focus goes to the error summary (the page also carries autofocus).
   - the step editor shows only the fields of the chosen kind (data-kinds="module questionnaire"); without
     script every field shows and the server ignores those of other kinds. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A print button (data-print): the browser's print dialog, without an inline handler.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      window.print();
    }
  });

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function showKindFields(select) {
    var form = select.form;
    var kind = select.value;
    Array.prototype.forEach.call(form.querySelectorAll("[data-kinds]"), function (block) {
      var shown = block.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      block.hidden = !shown;
    });
  }

  function init() {
    focusSummary();
    Array.prototype.forEach.call(document.querySelectorAll("select[data-kind-switch]"), function (select) {
      showKindFields(select);
      select.addEventListener("change", function () { showKindFields(select); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
