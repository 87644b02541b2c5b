// One inference service (#/ns/NAMESPACE/NAME): its summary, components, conditions, pods and recent events, live
// from the inferenceServiceStatus subscription; service and pod changes in its namespace re-read it (debounced),
// which also brings the events the status subscription does not follow.

import { badge, debounce, failureMessage, h, table, time } from "./dom.js";
import { request } from "./gql.js";
import { replicaCount } from "./overview.js";
import { scaleControl } from "./scale.js";

const FIELDS = `namespace name ready url acceleratorClassName
  metadata { creationTimestamp }
  modelRef { kind name namespace } runtimeRef { kind name namespace }
  accelerator { gpuModel }
  components { kind minReplicas maxReplicas replicas readyReplicas ready url }
  conditions { type status reason message lastTransitionTime }
  pods { name component phase ready nodeName restarts gpus startTime }
  events(limit: 20) { type reason message count lastTimestamp }`;

const QUERY = `query DashboardService($namespace: String!, $name: String!) {
  inferenceService(namespace: $namespace, name: $name) { ${FIELDS} }
}`;

const LIVE = `subscription DashboardServiceLive($namespace: String!, $name: String!) {
  inferenceServiceStatus(namespace: $namespace, name: $name) { ${FIELDS} }
}`;

const CHANGES = `subscription DashboardServiceChanges($namespace: String!) {
  resourceChanges(kinds: [INFERENCE_SERVICE, POD], namespace: $namespace) { type }
}`;

function ref(r) {
  return r ? [r.name, h("span", { class: "detail" }, ` ${r.kind}${r.namespace ? ` in ${r.namespace}` : ""}`)] : null;
}

function summary(s) {
  const item = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—"));
  return h("dl", { class: "facts" },
    item("Namespace", s.namespace),
    item("Model", ref(s.modelRef)),
    item("Runtime", ref(s.runtimeRef) ?? h("span", { class: "detail" }, "chosen by OME")),
    item("Accelerator", s.acceleratorClassName
      && [s.acceleratorClassName, s.accelerator?.gpuModel ? h("span", { class: "detail" }, ` ${s.accelerator.gpuModel}`) : null]),
    item("URL", s.url && h("code", { class: "url" }, s.url)),
    item("Created", time(s.metadata.creationTimestamp)));
}

// The panels of the page, in order: each renders a part of the service as last seen.
const PANELS = [
  {
    id: "components",
    title: "Components",
    render: (s) => table("Components", ["Component", "Status", "Replicas", "URL"], s.components.map((c) => [
      c.kind.toLowerCase(), badge(c.ready), replicaCount(c), c.url ? h("code", { class: "url" }, c.url) : "—"]),
    { hideCaption: true, empty: "No components." }),
  },
  {
    id: "conditions",
    title: "Conditions",
    render: (s) => table("Conditions", ["Type", "Status", "Reason", "Message", "Since"], s.conditions.map((c) => [
      c.type, badge(c.status === "True", c.status, c.status), c.reason ?? "—", c.message ?? "—",
      time(c.lastTransitionTime)]), { hideCaption: true, empty: "No conditions reported yet." }),
  },
  {
    id: "pods",
    title: "Pods",
    render: (s) => table("Pods", ["Pod", "Component", "Phase", "Ready", "Node", "GPUs", "Restarts", "Started"],
      s.pods.map((p) => [h("code", {}, p.name), p.component ?? "—", p.phase ?? "—", badge(p.ready, "Yes", "No"),
        p.nodeName ?? "—", p.gpus, p.restarts, time(p.startTime)]),
      { hideCaption: true, empty: "No pods.", rowAttributes: (i) => ({ "data-pod": s.pods[i].name }) }),
  },
  {
    id: "events",
    title: "Recent events",
    render: (s) => table("Recent events, newest first", ["Last seen", "Type", "Reason", "Message", "Count"],
      s.events.map((e) => [time(e.lastTimestamp), e.type ?? "—", e.reason ?? "—", e.message ?? "—", e.count ?? 1]),
      { hideCaption: true, empty: "No recent events." }),
  },
];

export function mount(container, { client, params: [namespace, name] }) {
  let alive = true;
  let latest = null;
  const status = h("span", { class: "status" });
  const notice = h("div");
  const facts = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading…"));
  const boxes = new Map(PANELS.map((panel) => [panel.id, h("div")]));

  container.replaceChildren(
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "← Overview"), ` / ${namespace} /`),
    h("div", { class: "title" }, h("h1", { tabindex: "-1" }, name), status),
    notice, facts,
    ...PANELS.map((panel) => h("section", { class: "panel", id: panel.id, "aria-labelledby": `${panel.id}-title` },
      h("h2", { id: `${panel.id}-title` }, panel.title), boxes.get(panel.id))));
  document.title = `${namespace}/${name} · OME gateway`;

  const fail = (error) => alive && notice.replaceChildren(failureMessage(error));
  const show = (service) => {
    if (!alive) return;
    if (!service) {
      fail({ code: "NOT_FOUND", message: `There is no inference service ${namespace}/${name}.` });
      return;
    }
    notice.replaceChildren();
    const first = latest === null;
    latest = service;
    status.replaceChildren(badge(service.ready));
    facts.removeAttribute("aria-busy");
    facts.replaceChildren(summary(service));
    for (const panel of PANELS) boxes.get(panel.id).replaceChildren(panel.render(service));
    if (first) boxes.get("components").after(scaleControl(namespace, name, () => latest));
  };

  // The status subscription ends (NOT_FOUND) while the service does not exist; a change in the namespace after
  // that subscribes again, so a service created or re-created later is followed too.
  let stopStatus = null;
  const followStatus = () => {
    stopStatus = client.subscribe(LIVE, { namespace, name }, {
      next: (data) => show(data.inferenceServiceStatus),
      error: (error) => {
        const stop = stopStatus;
        stopStatus = null;
        stop?.();
        fail(error);
      },
      complete: () => {
        stopStatus = null;
      },
    });
  };
  const reread = debounce(() => request(QUERY, { namespace, name }).then((d) => show(d.inferenceService), fail), 250);
  const stopChanges = client.subscribe(CHANGES, { namespace }, {
    next: () => {
      if (!stopStatus) followStatus();
      reread();
    },
  });
  followStatus();
  reread();
  const onState = (event) => event.detail.state === "connected" && reread(); // changes missed while away
  client.addEventListener("state", onState);
  return () => {
    alive = false;
    reread.cancel();
    client.removeEventListener("state", onState);
    stopChanges();
    stopStatus?.();
  };
}
