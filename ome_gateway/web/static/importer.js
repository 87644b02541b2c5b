// The import wizard (#/import): search the Hugging Face Hub (huggingFaceModels), pick a result to see what detection
// finds in it (huggingFaceModel: format, architecture, size, capabilities, the runtimes that could serve it), then
// import it and follow the job (importjob.js).

import { bytes, debounce, failureMessage, h, table } from "./dom.js";
import { request } from "./gql.js";
import { importControl } from "./importjob.js";
import { MATCH, ranking } from "./runtimes.js";

const LIMIT = 20;

const SEARCH = `query DashboardHubSearch($search: String, $limit: Int!) {
  huggingFaceModels(search: $search, limit: $limit) { id downloads likes gated pipelineTag }
}`;

const DETECT = `query DashboardHubModel($id: String!) {
  huggingFaceModel(id: $id) {
    id revision format framework { name version } architecture parameterCount parameterSize quantization dtype
    totalSizeBytes maxTokens capabilities pipelineTag gated license
    compatibleRuntimes { ${MATCH} }
  }
}`;

function gated(yes) {
  return yes ? h("span", { class: "badge warn" }, "Gated") : h("span", { class: "detail" }, "Open");
}

function count(value) {
  return value === null || value === undefined ? "—" : Number(value).toLocaleString();
}

/** The search results; a result's button picks it (pressed: the one picked). */
function results(found, picked, pick) {
  const rows = found.map((m) => [
    h("button", { type: "button", class: "pick", "aria-pressed": String(m.id === picked), onclick: () => pick(m.id) },
      m.id),
    count(m.downloads), count(m.likes), m.pipelineTag ?? "—", gated(m.gated),
  ]);
  return table("Hub models, most downloaded first", ["Model", "Downloads", "Likes", "Task", "Access"], rows,
    { hideCaption: true, empty: "No model on the hub matches.", rowAttributes: (i) => ({ "data-repo": found[i].id }) });
}

/** What detection found, as facts. */
function detected(m) {
  const item = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—"));
  const framework = m.framework && `${m.framework.name}${m.framework.version ? ` ${m.framework.version}` : ""}`;
  return h("dl", { class: "facts" },
    item("Format", m.format && [m.format, framework ? h("span", { class: "detail" }, ` ${framework}`) : null]),
    item("Architecture", m.architecture && h("code", {}, m.architecture)),
    item("Parameters", m.parameterSize
      && [m.parameterSize, m.parameterCount ? h("span", { class: "detail" }, ` ${count(m.parameterCount)}`) : null]),
    item("Quantization", m.quantization ?? "none"),
    item("Data type", m.dtype),
    item("Weights", bytes(m.totalSizeBytes)),
    item("Context", m.maxTokens && `${count(m.maxTokens)} tokens`),
    item("Capabilities", m.capabilities.length
      ? h("ul", { class: "tags" }, m.capabilities.map((c) => h("li", {}, h("code", {}, c)))) : null),
    item("Task", m.pipelineTag),
    item("License", m.license),
    item("Access", gated(m.gated)),
    item("Revision", m.revision && h("code", { title: m.revision }, m.revision.slice(0, 12))));
}

export function mount(container, { client }) {
  let alive = true;
  let found = [];
  let picked = null;
  let control = null; // the import form of the picked repository, with the job it follows

  const search = h("input", { id: "hub-search", name: "search", type: "search", placeholder: "e.g. qwen",
                              autocomplete: "off", spellcheck: "false" });
  const total = h("span", { class: "count" });
  const list = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading…"));
  const details = h("section", { class: "panel", id: "detected", "aria-labelledby": "detected-title", hidden: true });
  const form = h("form", { role: "search", class: "form", "aria-label": "Search the hub" },
    h("div", { class: "fields" }, h("div", { class: "field" }, h("label", { for: search.id }, "Search"), search),
      h("button", { type: "submit" }, "Search")));

  container.replaceChildren(
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "← Overview"), " /"),
    h("h1", { tabindex: "-1" }, "Import a model from Hugging Face"),
    h("section", { class: "panel", "aria-labelledby": "hub-title" },
      h("h2", { id: "hub-title" }, "Hub models ", total), form, list),
    details);

  const pick = async (id) => {
    picked = id;
    control?.stop();
    control = null;
    list.replaceChildren(results(found, picked, pick));
    const title = h("h2", { id: "detected-title", tabindex: "-1" }, id);
    const body = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Detecting…"));
    details.hidden = false;
    details.replaceChildren(title, body);
    title.focus();
    let model = null;
    let failure = null;
    try {
      ({ huggingFaceModel: model } = await request(DETECT, { id }));
    } catch (error) {
      failure = error;
    }
    if (!alive || picked !== id) return;
    control = importControl(client, id); // a gated repository can still be imported, with a token secret
    body.removeAttribute("aria-busy");
    body.replaceChildren(
      model ? detected(model) : failureMessage(failure),
      model ? h("h3", {}, "Runtimes that could serve it") : null,
      model ? ranking(model.compatibleRuntimes, { caption: "Runtimes that could serve it, best first",
                                                  empty: "No runtime in the cluster can serve it yet." }) : null,
      control.node);
  };

  const find = debounce(async () => {
    list.setAttribute("aria-busy", "true");
    try {
      const { huggingFaceModels } = await request(SEARCH, { search: search.value.trim() || null, limit: LIMIT });
      if (!alive) return;
      found = huggingFaceModels;
      total.textContent = found.length === LIMIT ? `${LIMIT}+` : String(found.length);
      list.replaceChildren(results(found, picked, pick));
    } catch (error) {
      if (alive) list.replaceChildren(failureMessage(error));
    } finally {
      list.removeAttribute("aria-busy");
    }
  }, 250);
  search.addEventListener("input", find);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    find();
  });
  find();

  return () => {
    alive = false;
    find.cancel();
    control?.stop();
  };
}
