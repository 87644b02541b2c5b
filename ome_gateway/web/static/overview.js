// The overview: cluster totals (live from the clusterSummary subscription) and every inference service grouped by
// namespace (queried again, debounced, whenever resourceChanges reports a service or pod change).

import { badge, debounce, failureMessage, h } from "./dom.js";
import { request } from "./gql.js";

const PAGE = 200;

const SUMMARY_FIELDS = `models modelsReady runtimes runtimesDisabled services servicesReady servicesNotReady
  acceleratorClasses nodes namespaces gpusUsed gpusTotal`;

const SUMMARY = `query DashboardSummary { clusterSummary { ${SUMMARY_FIELDS} } }`;

const SUMMARY_LIVE = `subscription DashboardSummaryLive { clusterSummary(intervalMs: 1000) { ${SUMMARY_FIELDS} } }`;

const SERVICES = `query DashboardServices($first: Int!, $after: String) {
  inferenceServices(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      namespace name ready url acceleratorClassName
      modelRef { name } runtimeRef { name }
      model { name } runtime { name } accelerator { gpuModel }
      components { kind minReplicas maxReplicas replicas readyReplicas }
    } }
  }
}`;

const CHANGES = `subscription DashboardChanges {
  resourceChanges(kinds: [INFERENCE_SERVICE, POD, MODEL, RUNTIME, ACCELERATOR_CLASS]) { type kind }
}`;

async function allServices() {
  const services = [];
  let after = null;
  for (;;) {
    const { inferenceServices: page } = await request(SERVICES, { first: PAGE, after });
    services.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return services;
    after = page.pageInfo.endCursor;
  }
}

function totals(summary) {
  const item = (term, value, detail) => h("div", { class: "total" },
    h("dt", {}, term), h("dd", {}, h("strong", {}, value), detail ? h("span", { class: "detail" }, detail) : null));
  return h("dl", { class: "totals" },
    item("Services", summary.services,
      [h("span", { class: "ok-text" }, `${summary.servicesReady} ready`), " · ",
        h("span", { class: summary.servicesNotReady ? "bad-text" : null }, `${summary.servicesNotReady} not ready`)]),
    item("Models", summary.models, `${summary.modelsReady} ready`),
    item("Runtimes", summary.runtimes, `${summary.runtimesDisabled} disabled`),
    item("GPUs used", `${summary.gpusUsed} / ${summary.gpusTotal}`,
      h("meter", { min: 0, max: summary.gpusTotal || 1, value: summary.gpusUsed, "aria-label": "GPUs used" })),
    item("Nodes", summary.nodes, `${summary.acceleratorClasses} accelerator classes`),
    item("Namespaces", summary.namespaces, "with services"));
}

/** "2/2 (2–4)": ready pods / pods, then the replica bounds. */
export function replicaCount(c) {
  return [h("span", { class: c.readyReplicas < (c.minReplicas ?? 0) ? "bad-text" : null },
    `${c.readyReplicas}/${c.replicas}`), h("span", { class: "detail" }, ` (${c.minReplicas ?? "?"}–${c.maxReplicas ?? "?"})`)];
}

function replicas(components) {
  return h("ul", { class: "components" }, components.map((c) => h("li", {},
    h("span", { class: "component" }, c.kind.toLowerCase()), " ", replicaCount(c))));
}

function serviceRow(s) {
  const runtime = s.runtime?.name ?? s.runtimeRef?.name;
  return [
    h("a", { href: `#/ns/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}` }, s.name),
    badge(s.ready),
    replicas(s.components),
    s.model?.name ?? (s.modelRef ? [s.modelRef.name, " ", h("span", { class: "bad-text" }, "(missing)")] : "—"),
    runtime ?? h("span", { class: "detail" }, "chosen by OME"),
    s.acceleratorClassName
      ? [s.acceleratorClassName, s.accelerator?.gpuModel ? h("span", { class: "detail" }, ` ${s.accelerator.gpuModel}`) : null]
      : "—",
    s.url ? h("code", { class: "url" }, s.url) : "—",
  ];
}

const COLUMNS = ["Service", "Status", "Replicas", "Model", "Runtime", "Accelerator", "URL"];

/** One table, one row group per namespace (headed by its name and readiness), so columns line up. */
function servicesByNamespace(services) {
  const groups = new Map(); // the gateway orders services by namespace, then name
  for (const s of services) {
    if (!groups.has(s.namespace)) groups.set(s.namespace, []);
    groups.get(s.namespace).push(s);
  }
  if (!groups.size) return h("p", { class: "empty" }, "No inference services yet.");
  const cell = (label, content) => h("td", { "data-label": label }, content);
  return h("div", { class: "table-wrap" }, h("table", { class: "services" },
    h("caption", { class: "visually-hidden" }, "Inference services by namespace"),
    h("thead", {}, h("tr", {}, COLUMNS.map((name) => h("th", { scope: "col" }, name)))),
    [...groups].map(([namespace, items]) => h("tbody", { "data-namespace": namespace },
      h("tr", { class: "group" }, h("th", { scope: "rowgroup", colspan: COLUMNS.length },
        namespace, h("span", { class: "detail" }, ` ${items.filter((s) => s.ready).length}/${items.length} ready`))),
      items.map((s) => h("tr", { "data-service": `${namespace}/${s.name}`, "data-ready": String(s.ready) },
        serviceRow(s).map((content, i) => cell(COLUMNS[i], content))))))));
}

export function mount(container, { client }) {
  let alive = true;
  const totalsBox = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading…"));
  const count = h("span", { class: "count" });
  const updated = h("p", { class: "updated" });
  const servicesBox = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading…"));

  container.replaceChildren(
    h("h1", { tabindex: "-1" }, "Overview"),
    h("section", { "aria-labelledby": "totals-title", class: "panel" },
      h("h2", { id: "totals-title" }, "Cluster"), totalsBox),
    h("section", { "aria-labelledby": "services-title", class: "panel", id: "services" },
      h("h2", { id: "services-title" }, "Inference services ", count), updated, servicesBox));

  const showSummary = (summary) => {
    totalsBox.removeAttribute("aria-busy");
    totalsBox.replaceChildren(totals(summary));
  };

  const refresh = debounce(async () => {
    try {
      const services = await allServices();
      if (!alive) return;
      servicesBox.removeAttribute("aria-busy");
      servicesBox.replaceChildren(servicesByNamespace(services));
      count.textContent = String(services.length);
      updated.replaceChildren("Replicas: ready/pods (min–max). Updated ", h("time", {}, new Date().toLocaleTimeString()), ".");
    } catch (error) {
      if (alive) servicesBox.replaceChildren(failureMessage(error));
    }
  }, 250);

  request(SUMMARY).then((data) => alive && showSummary(data.clusterSummary),
    (error) => alive && totalsBox.replaceChildren(failureMessage(error)));
  refresh();

  // After a reconnection, changes made while the socket was down were missed: read everything again.
  const onState = (event) => event.detail.state === "connected" && refresh();
  client.addEventListener("state", onState);
  const unsubscribe = [
    client.subscribe(SUMMARY_LIVE, {}, { next: (data) => alive && showSummary(data.clusterSummary) }),
    client.subscribe(CHANGES, {}, { next: refresh }),
  ];
  return () => {
    alive = false;
    refresh.cancel();
    client.removeEventListener("state", onState);
    unsubscribe.forEach((stop) => stop());
  };
}
