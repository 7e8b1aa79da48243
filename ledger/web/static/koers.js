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
  // A table wider than the screen scrolls in its box: the keyboard can reach and scroll it,
  // and a screen reader names it by its caption.
  for (const box of document.querySelectorAll(".table-wrap")) {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      const caption = box.querySelector("caption");
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    }
  }
});
