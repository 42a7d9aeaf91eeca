/* kehu: the custom field editor (管理 → 自定义字段 → a schema). Without this file each button posts
   the form and the server adds, moves or removes the row; with it the same happens in the page, and
   the rows can be dragged by their handle (SortableJS). The order of the rows in the page is the
   order of the fields: the server reads the hidden "row" inputs in document order. */
(function () {
  "use strict";

  var counter = 0;

  function newUid() {
    counter += 1;
    return "n" + Date.now().toString(36) + counter;  // lower-case letters and digits, as the server wants
  }

  function fromHtml(html, tag) {
    var holder = document.createElement(tag);
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function move(row, direction) {
    var list = row.parentNode;
    if (direction === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (direction === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    }
  }

  function addOption(row) {
    var lines = row.querySelector("[data-option-lines]");
    var line = lines.lastElementChild.cloneNode(true);
    line.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    lines.appendChild(line);
    line.querySelector("input").focus();
  }

  function removeOption(line) {
    if (line.parentNode.children.length > 1) {
      var next = line.nextElementSibling || line.previousElementSibling;
      line.remove();
      next.querySelector("input").focus();
    } else {  // keep one line to type into; an empty line is no option
      line.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    }
  }

  function setUp(editor) {
    var list = editor.querySelector("[data-field-rows]");
    var template = editor.querySelector("template[data-field-template]");

    editor.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !editor.contains(button)) { return; }
      var row = button.closest("[data-field-row]");
      if (button.hasAttribute("data-field-move")) {
        event.preventDefault();
        move(row, button.dataset.fieldMove);
        button.focus();
      } else if (button.hasAttribute("data-field-remove")) {
        event.preventDefault();
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        (next ? next.querySelector("button") : editor.querySelector("[data-field-add]")).focus();
      } else if (button.hasAttribute("data-field-add")) {
        event.preventDefault();
        var added = fromHtml(template.innerHTML.replace(/__uid__/g, newUid()), "ol");
        list.appendChild(added);
        added.querySelector("input[name$='-name']").focus();
      } else if (button.hasAttribute("data-option-add")) {
        event.preventDefault();
        addOption(row);
      } else if (button.hasAttribute("data-option-remove")) {
        event.preventDefault();
        removeOption(button.closest("[data-option-line]"));
      }
    });

    if (window.Sortable) {
      // forceFallback: Sortable's own pointer dragging, the same with mouse, touch and pen (no native drag image)
      window.Sortable.create(list, { handle: "[data-drag-handle]", draggable: "[data-field-row]", animation: 150,
                                     forceFallback: true });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-field-editor]").forEach(setUp);
  });
})();
