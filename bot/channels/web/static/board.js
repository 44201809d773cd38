// The board's only script: the week selector applies on change, and the overview refreshes
// itself every 5 seconds (a report shows without reloading).
(function () {
  var select = document.getElementById("tuan");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
  var body = document.getElementById("noi-dung");
  if (!body) { return; }
  function refresh() {
    var open = Array.prototype.map.call(body.querySelectorAll("details[open]"), function (d) {
      return d.getAttribute("data-code");
    });
    fetch("/board/?phan=noi-dung&tuan=" + encodeURIComponent(body.getAttribute("data-week")), {
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null || html === body.getAttribute("data-last")) { return; }
      body.setAttribute("data-last", html);
      body.innerHTML = html;
      open.forEach(function (code) {
        var details = body.querySelector('details[data-code="' + code + '"]');
        if (details) { details.open = true; }
      });
    }).catch(function () {});
  }
  setInterval(refresh, 5000);
})();
