/* Signature pads ([data-signature-pad]): draw with a finger, a pen or a mouse (pointer events); when a stroke
   ends the drawing goes into the form's hidden field as a PNG data URL; "Effacer" starts again. A file, not an
   inline script: the CSP allows none. Without script the check-in stays the electronic signature. */
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var input = pad.querySelector("[data-signature-value]");
    var clear = pad.querySelector("[data-signature-clear]");
    var context = canvas.getContext("2d");
    var last = null;

    function blank() {
      var ratio = Math.min(Math.max(window.devicePixelRatio || 1, 1), 2);  // sharp, yet a small PNG
      var box = canvas.getBoundingClientRect();
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.fillStyle = "#ffffff";  // white, not transparent: the PDF and every viewer show it the same
      context.fillRect(0, 0, box.width, box.height);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#1b1f24";
      context.fillStyle = "#1b1f24";
      input.value = "";
      pad.removeAttribute("data-signed");
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      context.beginPath();  // a tap leaves a dot
      context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) { return; }
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function end() {
      if (!last) { return; }
      last = null;
      input.value = canvas.toDataURL("image/png");
      pad.setAttribute("data-signed", "");
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    clear.addEventListener("click", blank);
    clear.hidden = false;
    blank();
    var width = canvas.getBoundingClientRect().width;
    window.addEventListener("resize", function () {  // a phone turned: the strokes would no longer map
      var now = canvas.getBoundingClientRect().width;
      if (now !== width) { width = now; blank(); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-signature-pad]"), setUp);
})();
