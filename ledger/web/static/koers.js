// Koers pages work without this script; it only makes them a little kinder.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, put the cursor in the first field at fault.
  const wrong = document.querySelector("[aria-invalid=true]");
  if (wrong) { const box = wrong.closest("details"); if (box) box.open = true; wrong.focus(); }
  // A form sent once is not sent twice by a double click (its key makes it count once anyway).
  for (const form of document.querySelectorAll("form.command")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(() => { button.disabled = true; }, 0); }
    });
  }
  // A select in a filter or period form applies at once.
  for (const select of document.querySelectorAll("form.filters select, form.period select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});
