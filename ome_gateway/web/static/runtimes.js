// Runtimes judged for one model (RuntimeMatch), in the gateway's order: the ones OME would pick on its own first, best
// first, then the other compatible ones, then the rest with the reasons they cannot serve it.

import { badge, h, table } from "./dom.js";

/** The RuntimeMatch fields the ranking shows. */
export const MATCH = "runtime { name namespace scope } compatible score autoSelect reasons warnings";

/** "vllm-llama" (cluster) or "srt-tuned in team-nlp". */
export function runtimeName(runtime) {
  const where = runtime.namespace ? ` in ${runtime.namespace}` : " cluster-wide";
  return [runtime.name, h("span", { class: "detail" }, where)];
}

/** A key for a runtime that tells the two scopes apart: "name" or "namespace/name". */
export function runtimeKey(runtime) {
  return runtime.namespace ? `${runtime.namespace}/${runtime.name}` : runtime.name;
}

function notes(match) {
  const items = [...match.reasons.map((text) => h("li", { class: "bad-text" }, text)),
    ...match.warnings.map((text) => h("li", { class: "warn-text" }, text))];
  return items.length ? h("ul", { class: "notes" }, items) : "—";
}

/** The ranked table: rank (compatible ones only), runtime, verdict, score, auto-select, reasons and warnings. */
export function ranking(matches, { caption = "Runtimes, best first", empty = "No runtime to judge." } = {}) {
  let rank = 0;
  const ranks = matches.map((m) => (m.compatible ? ++rank : null));
  return table(caption, ["Rank", "Runtime", "Verdict", "Score", "Auto-select", "Reasons"], matches.map((m, i) => [
    ranks[i] ?? "—",
    runtimeName(m.runtime),
    badge(m.compatible, "Compatible", "Not compatible"),
    m.score,
    m.autoSelect ? "Yes" : "No",
    notes(m),
  ]), { hideCaption: true, empty, rowAttributes: (i) => ({ "data-runtime": runtimeKey(matches[i].runtime),
                                                           "data-compatible": String(matches[i].compatible) }) });
}
