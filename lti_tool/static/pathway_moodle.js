/* Learner's pathway: when Moodle's state of the activities is stale, read it in the background and reload if
   something changed. */
(function () {
  "use strict";
  var data = document.currentScript.dataset;
  var form = document.getElementById("moodle-sync");
  if (!form || form.dataset.stale !== "true") return;
  var status = document.getElementById("moodle-sync-status");
  status.textContent = data.reading;
  fetch(form.action, {method: "POST", body: new FormData(form), headers: {"Accept": "application/json"}, credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (answer) {
      if (answer.changed) { window.location.reload(); return; }
      status.textContent = answer.error ? data.failed : data.read.replace("__W__", answer.synced_label || "");
    })
    .catch(function () { status.textContent = data.failed; });
})();
