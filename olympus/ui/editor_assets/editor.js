// Olympus's SQL editor: Ace (vendored from ace-builds, see ace/LICENSE) drawn in the page by
// Streamlit's custom components v2, so no iframe and no React app per editor. Ace and its files
// load once per browser tab from this folder; every mount after that only creates an editor.
// An empty editor is first drawn as a light shell that looks the same (a gutter "1" and the
// placeholder); Ace is created in its place on the first click, tap or focus, or when code
// arrives. Ace's creation and first layout cost a page switch ~25 ms, for a box nobody typed in.
//
// Untrusted data: the catalog's names, the SQL and the placeholder arrive as plain values. They
// reach the page only as text (Ace's text layer, textContent): nothing here builds HTML from data.

const BASE = new URL("./ace/", import.meta.url).href;
const EXTRAS = ["mode-sql.js", "ext-language_tools.js", "theme-cloud_editor.js",
  "theme-cloud_editor_dark.js"];
const THEMES = { light: "ace/theme/cloud_editor", dark: "ace/theme/cloud_editor_dark" };
const DEBOUNCE_MS = 500; // edits come back after a pause, so a stale notice can clear
const LINE_PX = 19;
const EDITORS = new WeakMap(); // parentElement -> this mount's editor and state
const CSS = `
.olympus-sql { display: flex; flex-direction: column; gap: 0.4rem; }
.olympus-sql-box { border: 1px solid var(--st-border-color, rgba(128,128,128,.35));
  border-radius: var(--st-base-radius, 0.5rem); overflow: hidden; }
.olympus-sql-box:focus-within { border-color: var(--st-primary-color, #4F46E5); }
.olympus-sql-ace { width: 100%; font-size: 14px; }
.olympus-sql-shell { display: flex; cursor: text; font-size: 14px; line-height: 19px;
  font-family: var(--st-code-font, monospace); color: var(--st-text-color, inherit); }
.olympus-sql-shell:focus { outline: none; }
.olympus-sql-shell .gutter { width: 41px; padding-right: 13px; box-sizing: border-box;
  text-align: right; opacity: 0.55; }
.olympus-sql-shell .hint { padding-left: 4px; opacity: 0.5; white-space: pre-wrap; }
.olympus-sql-bar { display: flex; justify-content: flex-end; gap: 0.5rem; }
.olympus-sql-bar button { font: inherit; font-family: var(--st-font, sans-serif);
  font-size: 0.875rem; line-height: 1.6; padding: 0.25rem 0.75rem; cursor: pointer;
  border-radius: var(--st-button-radius, 0.5rem); color: var(--st-text-color, inherit);
  background: var(--st-background-color, transparent);
  border: 1px solid var(--st-border-color, rgba(128,128,128,.35)); }
.olympus-sql-bar button:hover { border-color: var(--st-primary-color, #4F46E5); }
.olympus-sql-bar button.primary { color: #fff; background: var(--st-primary-color, #4F46E5);
  border-color: var(--st-primary-color, #4F46E5); }
.olympus-sql-bar button:focus-visible { outline: 2px solid var(--st-primary-color, #4F46E5);
  outline-offset: 2px; }
`;
let aceLoaded = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.async = false; // run in order: ace.js before the files that extend it
    tag.onload = () => resolve();
    tag.onerror = () => reject(new Error(`The SQL editor couldn't load ${src}`));
    document.head.appendChild(tag);
  });
}

function loadAce() {
  if (!aceLoaded) {
    const style = document.createElement("style");
    style.textContent = CSS;
    document.head.appendChild(style);
    const core = window.ace ? Promise.resolve() : script(BASE + "ace.js");
    aceLoaded = core.then(() => Promise.all(EXTRAS.map((f) => script(BASE + f)))).then(() => {
      window.ace.config.set("basePath", BASE); // anything else Ace wants comes from here too
      window.ace.require("ace/ext/language_tools"); // defines the live-autocomplete options
      return window.ace;
    });
    aceLoaded.catch(() => { aceLoaded = null; }); // a failed load is tried again next mount
  }
  return aceLoaded;
}

function isDark(element, hint) {
  // Streamlit's own background colour (it follows the theme switch at once); else Python's word.
  const probe = document.createElement("span");
  probe.style.color = getComputedStyle(element).getPropertyValue("--st-background-color");
  element.appendChild(probe);
  const rgb = (getComputedStyle(probe).color.match(/\d+(\.\d+)?/g) || []).map(Number);
  probe.remove();
  if (probe.style.color && rgb.length >= 3) {
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 128;
  }
  return Boolean(hint);
}

function words(rows) {
  // [value, meta, score, caption?] rows -> Ace completion items (drawn by Ace as text).
  return (rows || []).map((r) => ({
    value: String(r[0]), caption: String(r.length > 3 ? r[3] : r[0]),
    meta: String(r[1] || ""), score: Number(r[2]) || 0,
  }));
}

function button(label, primary, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (primary) b.className = "primary";
  b.addEventListener("mousedown", (e) => e.preventDefault()); // keep the editor's focus
  b.addEventListener("click", onClick);
  return b;
}

function send(state, kind) {
  clearTimeout(state.timer);
  state.timer = null;
  const text = state.editor ? state.editor.getValue() : "";
  state.sent.push(text);
  if (state.sent.length > 50) state.sent.shift();
  state.count += 1;
  state.api.setTriggerValue(kind, { id: `${state.nonce}:${state.count}`, text });
}

function frame(parent) {
  // The border, Ace's host and the buttons. Ace's own box stays borderless, so the height it
  // sets is the height it measures (no redraw).
  const root = document.createElement("div");
  root.className = "olympus-sql";
  const box = document.createElement("div");
  box.className = "olympus-sql-box";
  const host = document.createElement("div");
  host.className = "olympus-sql-ace";
  box.append(host);
  const bar = document.createElement("div");
  bar.className = "olympus-sql-bar";
  root.append(box, bar);
  parent.appendChild(root);
  const state = {
    editor: null, root, host, code: null, sent: [], count: 0, timer: null, quiet: false,
    items: [], data: {}, nonce: Math.random().toString(36).slice(2),
  };
  bar.append(button("Format", false, () => send(state, "format")),
    button("Run", true, () => send(state, "submit")));
  return state;
}

function shell(state, data) {
  // An empty editor as it looks, without Ace: made real on the first click, tap or focus.
  const box = document.createElement("div");
  box.className = "olympus-sql-shell";
  box.tabIndex = 0;
  box.setAttribute("role", "textbox");
  box.setAttribute("aria-multiline", "true");
  box.setAttribute("aria-label", "SQL editor");
  box.style.height = `${(data.minLines || 8) * LINE_PX}px`;
  const gutter = document.createElement("span");
  gutter.className = "gutter";
  gutter.textContent = "1";
  const hint = document.createElement("span");
  hint.className = "hint";
  hint.textContent = String(data.placeholder || "");
  box.append(gutter, hint);
  const wake = () => activate(state, true);
  box.addEventListener("pointerdown", wake, { once: true });
  box.addEventListener("focus", wake, { once: true });
  state.shell = box;
  state.host.append(box);
}

function activate(state, focus) {
  // Ace in the shell's place, with the latest data; focused when the person asked for it.
  if (state.editor || state.waking) return;
  state.waking = true;
  loadAce().then((ace) => {
    state.waking = false;
    if (state.editor || !state.root.isConnected) return;
    if (state.shell) state.shell.remove();
    state.shell = null;
    attach(ace, state);
    update(state, state.data, state.root.parentElement);
    drawNow(state.editor);
    if (focus) state.editor.focus();
  });
}

function attach(ace, state) {
  state.editor = ace.edit(state.host, {
    mode: "ace/mode/sql", wrap: true, showPrintMargin: false, useWorker: false,
    enableBasicAutocompletion: true, enableLiveAutocompletion: true, enableSnippets: false,
    highlightActiveLine: false, highlightGutterLine: false, textInputAriaLabel: "SQL editor",
    fontFamily: "var(--st-code-font, monospace)",
  });
  listen(state);
}

function listen(state) {
  const { editor } = state;
  // Only this connection's names and keywords: no words from the page, no snippets.
  const complete = (ed, session, pos, prefix, callback) => callback(null, state.items);
  editor.completers = [{ id: "olympus", getCompletions: complete }];
  editor.commands.addCommand({
    name: "olympusRun", bindKey: { win: "Ctrl-Enter", mac: "Command-Enter|Ctrl-Enter" },
    exec: () => send(state, "submit"),
  });
  editor.session.on("change", () => {
    if (state.quiet) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => send(state, "change"), DEBOUNCE_MS);
  });
  editor.on("blur", () => { if (state.timer) send(state, "change"); }); // leaving: send it now
  // The browser may scroll Ace's scroller natively (focus, a click near an edge), hiding the
  // text: Ace scrolls by transform, so that offset is always undone.
  const { scroller } = editor.renderer;
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop || scroller.scrollLeft) scroller.scrollTop = scroller.scrollLeft = 0;
  });
}

function update(state, data, parent) {
  const { editor } = state;
  state.items = words(data.words);
  const options = {
    minLines: data.minLines || 8, maxLines: data.maxLines || 22,
    placeholder: data.placeholder || "",
    theme: isDark(parent, data.dark) ? THEMES.dark : THEMES.light,
  };
  for (const [name, value] of Object.entries(options)) {
    if (editor.getOption(name) !== value) editor.setOption(name, value); // each one redraws
  }
  const code = String(data.code ?? "");
  tokenizeNow(editor.session);
  if (code === state.code) return;
  state.code = code;
  // New code from Python (Format, "Query this table") replaces the text; an echo of what the
  // person typed (sent by this editor a moment ago) never overwrites newer typing.
  if (code === editor.getValue() || state.sent.includes(code)) return;
  state.quiet = true;
  editor.session.setValue(code);
  state.quiet = false;
  tokenizeNow(editor.session);
}

function tokenizeNow(session) {
  // Ace colours text in a background pass 700 ms after a mode or text is set, redrawing then;
  // done here, the first paint is already highlighted and a page switch settles at once.
  const tokenizer = session.bgTokenizer;
  if (tokenizer && tokenizer.running && typeof tokenizer.$worker === "function") {
    tokenizer.$worker();
  }
}

function drawNow(editor) {
  // Drawn in this task at its final size, with what Ace had queued for the next frame: the
  // page's last change comes a frame or two sooner (what a page switch waits for).
  editor.resize(true);
  const loop = editor.renderer.$loop;
  if (loop && typeof loop._flush === "function") loop._flush();
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  let state = EDITORS.get(parentElement);
  if (!state) {
    state = frame(parentElement);
    EDITORS.set(parentElement, state);
  }
  state.api = { setTriggerValue };
  state.data = data || {};
  if (state.editor) {
    update(state, state.data, parentElement);
  } else if (String(state.data.code ?? "") || state.waking) {
    activate(state, false); // code to show (or a click already waking it): Ace now
  } else if (!state.shell) {
    shell(state, state.data);
    loadAce(); // in the background: ready by the time someone clicks
  }
  return () => {
    const mounted = EDITORS.get(parentElement);
    if (!mounted) return;
    clearTimeout(mounted.timer);
    if (mounted.editor) mounted.editor.destroy();
    mounted.root.remove();
    EDITORS.delete(parentElement);
  };
}
