// /find/list: copy the list's link (it holds service ids only) and print the list.
(function () {
  "use strict";
  var print = document.getElementById("print-button");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  var copy = document.getElementById("copy-button");
  var url = document.getElementById("share-url");
  var status = document.getElementById("copy-status");
  if (copy && url) {
    copy.addEventListener("click", function () {
      url.select();
      var done = function () { if (status) { status.textContent = copy.getAttribute("data-copied"); } };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url.value).then(done, function () { document.execCommand("copy"); done(); });
      } else { document.execCommand("copy"); done(); }
    });
  }
})();
