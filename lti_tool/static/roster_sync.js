/* Roster sync with Moodle's names and roles: one page per call, with a progress bar. Messages are shown as
   text (textContent), never as HTML. */
(function () {
  "use strict";
  var data = document.currentScript.dataset;
  var url = data.url, token = data.csrf, done = data.done, failed = data.failed, finished = data.finished;
  document.getElementById("sync").addEventListener("click", function () {
    var button = this, bar = document.getElementById("bar"), status = document.getElementById("status"), total = 0, pages = 0;
    button.disabled = true; bar.hidden = false;
    function step(next) {
      var body = new URLSearchParams(); if (next) body.set("next", next);
      fetch(url, {method: "POST", body: body, headers: {"X-CSRFToken": token}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (answer.error) { status.textContent = failed + " " + answer.message; button.disabled = false; return; }
          total += answer.members; pages += 1;
          bar.firstElementChild.style.width = (answer.next ? Math.min(90, pages * 15) : 100) + "%";
          status.textContent = done.replace("__N__", total);
          if (answer.next) { step(answer.next); } else { status.textContent += " — " + finished; button.disabled = false; }
        })
        .catch(function (e) { status.textContent = failed + " " + e; button.disabled = false; });
    }
    step(null);
  });
})();
