/* Instructor's "read Moodle" page: one batch of learners per call, with a progress bar.
   Settings come from the script element's data-* attributes (no inline script: strict CSP). */
(function () {
  "use strict";
  var data = document.currentScript.dataset;
  var url = data.url, token = data.csrf, progressText = data.progress;
  var finished = data.finished, failed = data.failed;
  document.getElementById("sync").addEventListener("click", function () {
    var button = this, bar = document.getElementById("bar"), status = document.getElementById("status"), box = document.getElementById("problem");
    button.disabled = true; bar.hidden = false; box.innerHTML = "";
    function show(done, total) {
      var percent = total ? Math.round(100 * done / total) : 100;
      bar.firstElementChild.style.width = percent + "%"; bar.setAttribute("aria-valuenow", percent);
      status.textContent = progressText.replace("__D__", done).replace("__T__", total);
    }
    function step(offset) {
      var body = new URLSearchParams(); body.set("offset", offset);
      fetch(url, {method: "POST", body: body, headers: {"X-CSRFToken": token, "Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          show(answer.done, answer.total);
          // The message is the tool's own page fragment (rendered and escaped server-side), never Moodle's text.
          if (answer.error) { status.textContent = failed; box.innerHTML = answer.error.message; button.disabled = false; return; }
          if (answer.next !== null) { step(answer.next); } else { status.textContent += " — " + finished; button.disabled = false; }
        })
        .catch(function (e) { status.textContent = failed + " " + e; button.disabled = false; });
    }
    step(0);
  });
})();
