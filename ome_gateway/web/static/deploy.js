// The deploy form (#/deploy; #/deploy/MODEL or #/deploy/NAMESPACE/MODEL with that model chosen): the model and an
// optional accelerator class rank the runtimes (Model.compatibleRuntimes, for the namespace entered); "Validate (dry
// run)" asks deployInferenceService with dryRun and shows its verdict or its typed error; "Deploy" creates the
// service and opens its view.

import { debounce, failureMessage, h } from "./dom.js";
import { request } from "./gql.js";
import { MATCH, ranking, runtimeKey, runtimeName } from "./runtimes.js";

const PAGE = 200;

const MODELS = `query DashboardDeployModels($first: Int!, $after: String) {
  models(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { name namespace scope ready architecture parameterSize } }
  }
}`;

const ACCELERATORS = `query DashboardDeployAccelerators($first: Int!, $after: String) {
  acceleratorClasses(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { name gpuModel memory } }
  }
}`;

const NAMESPACES = "query DashboardDeployNamespaces { namespaces { name } }";

const RANKING = `query DashboardRuntimeRanking($model: String!, $modelNamespace: String, $acceleratorClass: String,
                                                $namespace: String) {
  model(name: $model, namespace: $modelNamespace) {
    compatibleRuntimes(acceleratorClass: $acceleratorClass, namespace: $namespace) { ${MATCH} }
  }
}`;

const DEPLOY = `mutation DashboardDeploy($input: DeployInferenceServiceInput!) {
  deployInferenceService(input: $input) {
    service { namespace name acceleratorClassName components { kind minReplicas maxReplicas } }
    runtime { ${MATCH} }
    autoSelected dryRun warnings
  }
}`;

async function everything(query, field) {
  const items = [];
  let after = null;
  for (;;) {
    const { [field]: page } = await request(query, { first: PAGE, after });
    items.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return items;
    after = page.pageInfo.endCursor;
  }
}

/** "name" for a cluster-wide model, "namespace/name" for a namespaced one: the select's values and the URL's. */
function modelKey(model) {
  return model.namespace ? `${model.namespace}/${model.name}` : model.name;
}

/** " · 8B LlamaForCausalLM": what is known of an option, after its name. */
function suffix(...parts) {
  const known = parts.filter(Boolean);
  return known.length ? ` · ${known.join(" ")}` : "";
}

/** The model select: cluster-wide models, then one group per namespace (the gateway lists them in that order). */
function modelOptions(models) {
  const groups = new Map();
  for (const m of models) {
    const group = m.namespace ? `Models in ${m.namespace}` : "Cluster-wide models";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(m);
  }
  return [...groups].map(([label, items]) => h("optgroup", { label }, items.map((m) =>
    h("option", { value: modelKey(m) }, m.name, suffix(m.parameterSize, m.architecture), m.ready ? "" : " · not ready"))));
}

function number(value) {
  return value === "" ? null : Number(value);
}

function field(label, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

/** What a dry run answered: the service as it would be, the runtime and how it was chosen, the warnings. */
function verdict(result) {
  const s = result.service;
  const engine = s.components.find((c) => c.kind === "ENGINE");
  const item = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
  const warnings = [...result.warnings, ...result.runtime.warnings];
  const { runtime, score } = result.runtime;
  return h("div", { class: "verdict", role: "status", "data-auto-selected": String(result.autoSelected) },
    h("p", { class: "ok-text" }, "Valid. Nothing was created (dry run)."),
    h("dl", { class: "facts" },
      item("Service", `${s.namespace}/${s.name}`),
      item("Runtime", [runtimeName(runtime), h("span", { class: "detail" }, ` · score ${score}`)]),
      item("Runtime chosen", result.autoSelected ? "automatically (the best match)" : "as named"),
      item("Accelerator class", s.acceleratorClassName ?? "any"),
      item("Engine replicas", engine && (engine.minReplicas !== null || engine.maxReplicas !== null)
        ? `${engine.minReplicas ?? "default"}–${engine.maxReplicas ?? "default"}` : "the runtime's defaults")),
    warnings.length ? h("ul", { class: "notes" }, warnings.map((w) => h("li", { class: "warn-text" }, w)))
      : h("p", { class: "detail" }, "No warnings."));
}

export function mount(container, { params: [first, second] }) {
  let alive = true;
  const wanted = second ? `${first}/${second}` : first; // the model the URL names, if any
  const models = new Map();
  let matches = [];
  let suggested = ""; // the name filled in from the model, replaced when the model changes unless edited

  const model = h("select", { id: "deploy-model", name: "model", disabled: true },
    h("option", { value: "" }, "Loading…"));
  const accelerator = h("select", { id: "deploy-accelerator", name: "acceleratorClass" },
    h("option", { value: "" }, "Any"));
  const name = h("input", { id: "deploy-name", name: "name", autocomplete: "off", spellcheck: "false" });
  const namespace = h("input", { id: "deploy-namespace", name: "namespace", list: "deploy-namespaces",
                                 autocomplete: "off", spellcheck: "false", placeholder: "e.g. team-nlp" });
  const namespaces = h("datalist", { id: "deploy-namespaces" });
  const runtime = h("select", { id: "deploy-runtime", name: "runtime" });
  const min = h("input", { id: "deploy-min", name: "minReplicas", type: "number", min: 0, step: 1, inputmode: "numeric",
                           value: 1 });
  const max = h("input", { id: "deploy-max", name: "maxReplicas", type: "number", min: 0, step: 1, inputmode: "numeric",
                           value: 1 });
  const validate = h("button", { type: "submit", name: "action", value: "validate", class: "secondary" },
    "Validate (dry run)");
  const deploy = h("button", { type: "submit", name: "action", value: "deploy" }, "Deploy");
  const notice = h("div");
  const rankingBox = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading…"));
  const outcome = h("div", { class: "outcome", "aria-live": "polite" });

  // Validate comes first in the form, so Enter in a field runs a dry run, never a deployment.
  const form = h("form", { class: "form", "aria-label": "Deploy", novalidate: true },
    h("section", { class: "panel", "aria-labelledby": "deploy-model-title" },
      h("h2", { id: "deploy-model-title" }, "Model and accelerator"),
      h("div", { class: "fields" }, field("Model", model), field("Accelerator class (optional)", accelerator))),
    h("section", { class: "panel", id: "runtimes", "aria-labelledby": "runtimes-title" },
      h("h2", { id: "runtimes-title" }, "Runtimes, best first"),
      h("p", { class: "detail" }, "Ranked as OME ranks them for this model, accelerator class and namespace."),
      rankingBox),
    h("section", { class: "panel", "aria-labelledby": "deploy-service-title" },
      h("h2", { id: "deploy-service-title" }, "Service"),
      h("div", { class: "fields" }, field("Name", name), field("Namespace", namespace), namespaces,
        field("Runtime", runtime), field("Min replicas", min), field("Max replicas", max)),
      h("div", { class: "actions" }, validate, deploy),
      outcome));

  container.replaceChildren(
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "← Overview"), " /"),
    h("h1", { tabindex: "-1" }, "Deploy a model"),
    notice, form);

  const fillRuntimes = () => {
    const previous = runtime.value;
    const compatible = matches.filter((m) => m.compatible);
    runtime.replaceChildren(h("option", { value: "" }, "Automatic (the best match)"),
      compatible.map((m) => h("option", { value: runtimeKey(m.runtime) },
        m.runtime.name, m.runtime.namespace ? ` (${m.runtime.namespace})` : "", ` · score ${m.score}`)));
    runtime.value = compatible.some((m) => runtimeKey(m.runtime) === previous) ? previous : "";
  };

  const rank = debounce(async () => {
    const chosen = models.get(model.value);
    if (!chosen || !alive) return;
    rankingBox.setAttribute("aria-busy", "true");
    try {
      const data = await request(RANKING, { model: chosen.name, modelNamespace: chosen.namespace,
                                            acceleratorClass: accelerator.value || null,
                                            namespace: namespace.value.trim() || null });
      if (!alive) return;
      matches = data.model?.compatibleRuntimes ?? [];
      rankingBox.replaceChildren(data.model
        ? ranking(matches, { empty: "There are no runtimes in the cluster." })
        : failureMessage({ code: "NOT_FOUND", message: `The model ${modelKey(chosen)} is gone.` }));
      fillRuntimes();
    } catch (error) {
      if (alive) rankingBox.replaceChildren(failureMessage(error));
    } finally {
      rankingBox.removeAttribute("aria-busy");
    }
  }, 150);

  const chooseModel = () => {
    const chosen = models.get(model.value);
    if (!chosen) return;
    if (chosen.namespace) namespace.value = chosen.namespace; // a BaseModel serves only its own namespace
    if (name.value === suggested) name.value = suggested = chosen.name;
    rank();
  };
  model.addEventListener("change", chooseModel);
  accelerator.addEventListener("change", rank);
  namespace.addEventListener("input", rank);

  const input = (dryRun) => {
    const chosen = models.get(model.value);
    const pick = matches.find((m) => m.compatible && runtimeKey(m.runtime) === runtime.value)?.runtime;
    const engine = { minReplicas: number(min.value), maxReplicas: number(max.value) };
    return {
      name: name.value.trim(), namespace: namespace.value.trim(),
      model: chosen?.name ?? "", modelScope: chosen?.scope ?? null,
      acceleratorClass: accelerator.value || null,
      runtime: pick?.name ?? null, runtimeScope: pick?.scope ?? null,
      engine: engine.minReplicas === null && engine.maxReplicas === null ? null : engine,
      dryRun,
    };
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const dryRun = event.submitter?.value !== "deploy";
    validate.disabled = deploy.disabled = true;
    outcome.replaceChildren(h("p", { role: "status" }, dryRun ? "Validating…" : "Deploying…"));
    try {
      const { deployInferenceService: result } = await request(DEPLOY, { input: input(dryRun) });
      if (!alive) return;
      const { namespace: ns, name: created } = result.service;
      if (dryRun) outcome.replaceChildren(verdict(result));
      else location.hash = `#/ns/${encodeURIComponent(ns)}/${encodeURIComponent(created)}`; // the new service's view
    } catch (error) {
      if (alive) outcome.replaceChildren(failureMessage(error));
    } finally {
      validate.disabled = deploy.disabled = false;
    }
  });

  Promise.all([everything(MODELS, "models"), everything(ACCELERATORS, "acceleratorClasses"), request(NAMESPACES)])
    .then(([found, classes, { namespaces: names }]) => {
      if (!alive) return;
      for (const m of found) models.set(modelKey(m), m);
      accelerator.append(...classes.map((c) => h("option", { value: c.name }, c.name, suffix(c.gpuModel, c.memory))));
      namespaces.replaceChildren(...names.map((n) => h("option", { value: n.name })));
      if (!found.length) {
        model.replaceChildren(h("option", { value: "" }, "No models"));
        rankingBox.removeAttribute("aria-busy");
        rankingBox.replaceChildren(h("p", { class: "empty" },
          "There are no models in the cluster yet: ", h("a", { href: "#/import" }, "import one"), "."));
        return;
      }
      model.replaceChildren(...modelOptions(found));
      model.disabled = false;
      if (wanted && !models.has(wanted)) {
        notice.replaceChildren(failureMessage({ code: "NOT_FOUND", message: `There is no model ${wanted}.` }));
      }
      model.value = models.has(wanted) ? wanted : modelKey(found.find((m) => m.ready) ?? found[0]);
      chooseModel();
    }, (error) => {
      if (!alive) return;
      rankingBox.removeAttribute("aria-busy");
      notice.replaceChildren(failureMessage(error));
    });

  return () => {
    alive = false;
    rank.cancel();
  };
}
