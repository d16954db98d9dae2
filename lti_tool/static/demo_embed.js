/* Demo platform: launch in the page's frame (as Moodle embeds the tool) or in the whole window. */
document.getElementById("launch-form").addEventListener("submit", function (event) {
  var embed = document.getElementById("embed").checked;
  event.target.target = embed ? "tool-frame" : "_self";
  document.getElementById("tool-frame").hidden = !embed;
});
