// Olympus's plain table (Streamlit custom components v2, no iframe): a light HTML table for the
// Schema page's lists, where a canvas data grid cost the browser ~30 ms per mount. Cells wrap,
// so a long type or reference reads whole (widths follow the content); a hover title holds
// what a cell shortens.
//
// Untrusted data: every label, cell and title arrives as a plain value and reaches the page only
// through textContent / title: nothing here builds HTML from data.

const CSS = `
.olympus-table { overflow: auto; border: 1px solid var(--st-border-color, rgba(128,128,128,.3));
  border-radius: var(--st-base-radius, 0.5rem); }
.olympus-table table { width: 100%; border-collapse: collapse;
  font-family: var(--st-font, inherit); font-size: 0.875rem; line-height: 1.45; }
.olympus-table th { position: sticky; top: 0; z-index: 1; text-align: left; font-weight: 600;
  padding: 0.4rem 0.6rem; color: var(--st-text-color, inherit);
  background: var(--st-secondary-background-color, #f4f5fa);
  border-bottom: 1px solid var(--st-border-color, rgba(128,128,128,.3)); }
.olympus-table th[title] span { text-decoration: underline dotted; text-underline-offset: 3px; }
.olympus-table td { padding: 0.35rem 0.6rem; vertical-align: top; overflow-wrap: break-word;
  border-top: 1px solid var(--st-border-color, rgba(128,128,128,.2)); }
.olympus-table td.clip { white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  max-width: 0; width: 100%; }
.olympus-table .right { text-align: right; font-variant-numeric: tabular-nums; }
.olympus-table tr[data-row] { cursor: pointer; }
.olympus-table tr[data-row]:hover td { background: rgba(99, 102, 241, 0.08); }
.olympus-table tr.is-open td { background: rgba(99, 102, 241, 0.20); font-weight: 600; }
.olympus-table button { all: unset; cursor: pointer; overflow-wrap: break-word; }
.olympus-table button:focus-visible { outline: 2px solid var(--st-primary-color, #4F46E5);
  outline-offset: 2px; border-radius: 2px; }
`;
const BOXES = new WeakMap(); // parentElement -> { box, send, count }
let styled = false;

function style() {
  if (styled) return;
  const tag = document.createElement("style");
  tag.textContent = CSS;
  document.head.appendChild(tag);
  styled = true;
}

function header(table, columns) {
  const row = table.createTHead().insertRow();
  for (const col of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    const label = document.createElement("span");
    label.textContent = String(col.label ?? col.key ?? "");
    th.appendChild(label);
    if (col.help) th.title = String(col.help);
    if (col.align === "right") th.className = "right";
    row.appendChild(th);
  }
}

function body(table, columns, rows, data) {
  const tbody = table.createTBody();
  rows.forEach((cells, i) => {
    const tr = tbody.insertRow();
    if (data.selectable) tr.dataset.row = String(i);
    const open = data.selected === i;
    if (open) tr.className = "is-open";
    columns.forEach((col, j) => {
      const td = tr.insertCell();
      if (col.align === "right") td.classList.add("right");
      const raw = cells[j];
      const [text, title] = Array.isArray(raw) ? raw : [raw, null];
      if (col.clip) td.classList.add("clip");
      if (title || (col.clip && text)) td.title = String(title || text);
      if (j === 0 && data.selectable) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = String(text ?? "");
        if (open) button.setAttribute("aria-current", "true");
        td.appendChild(button);
      } else {
        td.textContent = String(text ?? "");
      }
    });
  });
}

function mounted(parentElement) {
  let state = BOXES.get(parentElement);
  if (state) return state;
  const box = document.createElement("div");
  box.className = "olympus-table";
  parentElement.appendChild(box);
  state = { box, send: null, count: 0, nonce: Math.random().toString(36).slice(2) };
  box.addEventListener("click", (event) => {
    const tr = event.target.closest("tr[data-row]");
    if (!tr || !state.send || tr.classList.contains("is-open")) return;
    state.count += 1;
    state.send("open", { id: `${state.nonce}:${state.count}`, row: Number(tr.dataset.row) });
  });
  BOXES.set(parentElement, state);
  return state;
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  style();
  const state = mounted(parentElement);
  state.send = setTriggerValue;
  const d = data || {};
  const columns = d.columns || [];
  const table = document.createElement("table");
  if (d.label) table.setAttribute("aria-label", String(d.label));
  header(table, columns);
  body(table, columns, d.rows || [], d);
  state.box.style.maxHeight = d.maxHeight ? `${Number(d.maxHeight)}px` : "";
  state.box.replaceChildren(table);
  return () => { BOXES.delete(parentElement); };
}
