// The branch console's one script (served from /assets/console.js; the pages work without it).
// It adds: a copy button beside a shown enrolment code, and the "/" key to jump to the search box.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = button.dataset.copied;
      } catch (error) {
        // Without clipboard permission the code stays on screen to be read out or typed.
      }
    });
  }
  const search = document.querySelector('input[name="q"]');
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select");
    if (search && event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });
});
