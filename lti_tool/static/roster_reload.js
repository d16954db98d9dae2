/* Attendance roster: a new check-in code every minute, so the page reloads itself, but never while the
   facilitator is typing a reason. */
(function () {
  "use strict";
  setInterval(function () {
    var typing = Array.prototype.some.call(document.querySelectorAll("input[name=reason]"), function (input) {
      return input === document.activeElement || input.value;
    });
    if (!typing) { window.location.reload(); }
  }, 60000);
})();
