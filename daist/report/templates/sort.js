// Click a column header of a table.sortable to sort by it (again: reverse). Cells may carry
// data-value (a number) so "1,234" and "12.3 ms" sort as numbers; empty values sort last.
// A table gets class "sort-ready" once its headers listen: only then do they look clickable.
(function () {
  function key(cell) {
    var raw = cell.getAttribute("data-value");
    if (raw !== null) {
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    return cell.textContent.trim().toLowerCase();
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return a < b ? -1 : 1;
  }
  function sortBy(table, header, index) {
    var body = table.tBodies[0];
    if (!body) return;
    var descending = header.classList.contains("asc");
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) headers[i].classList.remove("asc", "desc");
    header.classList.add(descending ? "desc" : "asc");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var a = key(r1.cells[index]), b = key(r2.cells[index]);
      if (a === null || b === null) return compare(a, b);  // empty last either way
      return descending ? -compare(a, b) : compare(a, b);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      header.addEventListener("click", function () { sortBy(table, header, index); });
    });
    table.classList.add("sort-ready");
  });
})();
