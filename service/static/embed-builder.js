// The embed builder's Copy button: copies the snippet text (never parsed as HTML here).
(function () {
  "use strict";
  var button = document.getElementById("copy");
  var area = document.getElementById("snippet");
  var said = document.getElementById("copied");
  if (!button || !area) return;
  button.addEventListener("click", function () {
    area.select();
    var done = function () { said.textContent = "Copied."; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(area.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
