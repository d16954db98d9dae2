/* pylti1p3's third-party cookie check before an iframe launch: when the browser keeps a test cookie, go on
   with the login; otherwise offer to open the activity in a new window. */
(function () {
  "use strict";
  var data = document.currentScript.dataset;
  var protocol = data.protocol;
  var params = JSON.parse(data.params || "{}");
  function launchUrl() {
    var query = Object.keys(params).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); });
    return window.location.origin + window.location.pathname + "?" + query.join("&");
  }
  var cookie = "lti1p3_test_cookie=1; path=/";
  if (protocol === "https") { cookie += "; SameSite=None; Secure; Partitioned"; }
  document.cookie = cookie;
  if (document.cookie.indexOf("lti1p3_test_cookie") !== -1) {
    document.cookie = "lti1p3_test_cookie=1; expires=Thu, 01 Jan 1970 00:00:01 GMT; path=/";
    document.getElementById("lti1p3-loading-msg").hidden = false;
    window.location.href = launchUrl();
  } else {
    var link = document.getElementById("lti1p3-new-tab-link");
    link.href = launchUrl();
    document.getElementById("lti1p3-warning-msg").hidden = false;
  }
})();
