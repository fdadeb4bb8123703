// The upload: a dropped (or chosen) file is sent once for its preview; the server keeps it and
// answers the mapping form, which starts the scan. No other host, no build step.
(function () {
  const form = document.getElementById("drop-form");
  const zone = document.getElementById("drop-zone");
  const input = document.getElementById("file");
  const target = document.getElementById("mapping");
  if (!form || !input) return;
  const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];

  async function preview() {
    if (!input.files.length) return;
    target.innerHTML = "<p aria-busy=\"true\">Reading the first rows…</p>";
    const body = new FormData(form);
    const reply = await fetch("/scans/preview", {method: "POST", body, headers: {"X-CSRF-Token": token},
                                                 credentials: "same-origin"});
    target.innerHTML = await reply.text();
    const first = target.querySelector("select, input:not([type=hidden])");
    if (first) first.focus();
  }

  input.addEventListener("change", preview);
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("dragging")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    preview();
  });
})();
