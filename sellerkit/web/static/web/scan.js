// The results page's filter builder: "Add filter" adds a row (a copy of the blank last one) and
// moves the focus to its field; "Remove" takes a row out and moves the focus on. Without
// scripts the page still offers one blank row to fill in.
(function () {
  const rows = document.getElementById("filter-rows");
  const add = document.getElementById("add-filter");
  if (!rows || !add) return;

  function label(row, index) {
    const remove = row.querySelector(".remove-filter");
    remove.setAttribute("aria-label", "Remove filter " + index);
    remove.hidden = false;
  }

  function relabel() {
    rows.querySelectorAll(".filter-row").forEach((row, i) => label(row, i + 1));
  }

  rows.addEventListener("click", (event) => {
    const remove = event.target.closest(".remove-filter");
    if (!remove) return;
    const row = remove.closest(".filter-row");
    const all = rows.querySelectorAll(".filter-row");
    if (all.length === 1) {  // the last row is cleared, not removed
      row.querySelector("select[name=fn]").value = "";
      row.querySelector("input[name=fv]").value = "";
      row.querySelector("select[name=fn]").focus();
      return;
    }
    const next = row.nextElementSibling && row.nextElementSibling.classList.contains("filter-row")
      ? row.nextElementSibling : row.previousElementSibling;
    row.remove();
    relabel();
    (next.querySelector("select[name=fn]") || add).focus();
  });

  add.addEventListener("click", () => {
    const all = rows.querySelectorAll(".filter-row");
    const row = all[all.length - 1].cloneNode(true);
    row.querySelector("select[name=fn]").value = "";
    row.querySelector("select[name=fo]").selectedIndex = 0;
    row.querySelector("input[name=fv]").value = "";
    add.before(row);
    relabel();
    row.querySelector("select[name=fn]").focus();
  });

  add.hidden = false;
  relabel();
})();
