// Task pages (inspector's phone): progressive enhancement only; every form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // "01 未发现问题" excludes every other result code: keep the checkboxes consistent while ticking.
  document.querySelectorAll("[data-exclusive]").forEach((group) => {
    const exclusive = group.getAttribute("data-exclusive");
    const boxes = Array.from(group.querySelectorAll("input[type=checkbox]"));
    boxes.forEach((box) => {
      box.addEventListener("change", () => {
        if (!box.checked) return;
        boxes.forEach((other) => {
          if (other === box) return;
          if (box.value === exclusive || other.value === exclusive) other.checked = false;
        });
      });
    });
  });
  // Destructive buttons ask first.
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
