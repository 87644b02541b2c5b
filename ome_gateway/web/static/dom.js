// Building DOM without markup strings: every text given here becomes a text node, so data is never parsed as HTML.

/**
 * h("a", {href: "#/", class: "back"}, "Overview") — attributes are set with setAttribute (on* keys become event
 * listeners, false / null / undefined skip the attribute); children are nodes, strings or numbers (text), arrays
 * of these, or null / false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  node.append(...flatten(children));
  return node;
}

function flatten(children) {
  const out = [];
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    out.push(child instanceof Node ? child : String(child));
  }
  return out;
}

/** A readiness badge that says it in words, not only in colour. */
export function badge(ok, yes = "Ready", no = "Not ready") {
  return h("span", { class: `badge ${ok ? "ok" : "bad"}` }, ok ? yes : no);
}

/** A <time> for an ISO timestamp, shown in the viewer's locale (only the time of day with `clock`). */
export function time(iso, { clock = false } = {}) {
  if (!iso) return "—";
  const date = new Date(iso);
  const shown = Number.isNaN(date.getTime()) ? iso : clock ? date.toLocaleTimeString() : date.toLocaleString();
  return h("time", { datetime: iso, title: iso }, shown);
}

/** A failure as the gateway types it: the code, the message, the fields at fault (with their own messages), a hint. */
export function failureMessage(error, attributes = {}) {
  const fields = (error.fields || []).filter((f) => f && (f.field || f.message));
  const named = fields.filter((f) => f.field && f.message === error.message).map((f) => f.field);
  const others = fields.filter((f) => f.message && f.message !== error.message);
  return h("div", { class: "failure", role: "alert", ...attributes },
    h("p", {}, error.code ? h("code", {}, error.code) : null, " ", error.message,
      named.length ? [" (", named.map((f, i) => [i ? ", " : "", h("code", {}, f)]), ")"] : null),
    others.length ? h("ul", {}, others.map((f) => h("li", {}, f.field ? [h("code", {}, f.field), " "] : null, f.message)))
      : null,
    error.hint ? h("p", { class: "hint" }, "Hint: ", error.hint) : null);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** A size in bytes for people: "536 B", "14.2 GiB" (the exact count in the title). */
export function bytes(count) {
  if (count === null || count === undefined) return "—";
  let value = Number(count);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  return h("span", { title: `${Number(count).toLocaleString()} bytes` }, `${shown} ${UNITS[unit]}`);
}

/** A table with a caption (visually hidden when asked), headers and rows of cells; empty says so. */
export function table(caption, headers, rows, { empty = "None.", hideCaption = false, rowAttributes } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", { class: hideCaption ? "visually-hidden" : null }, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows.map((cells, i) => h("tr", rowAttributes ? rowAttributes(i) : {},
        cells.map((cell, j) => h("td", { "data-label": headers[j] }, cell)))))));
}

/** Run fn at most once per `wait` ms, after the last call; a call during a run schedules one more run. */
export function debounce(fn, wait) {
  let timer = null;
  let running = null;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = Promise.resolve().then(fn).catch(console.error).finally(() => {
      running = null;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, wait);
  };
  schedule.cancel = () => {
    clearTimeout(timer);
    again = false;
  };
  return schedule;
}
