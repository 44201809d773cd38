// Inside Telegram (a Mini App): Telegram hands the page its signed initData in the address's
// fragment (tgWebAppData); it is posted to the bot, which checks the signature.
(function () {
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var initData = fragment.get("tgWebAppData") || "";
  document.getElementById("init_data").value = initData;
  document.getElementById("telegram").submit();
})();
