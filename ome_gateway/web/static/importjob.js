// Importing one Hugging Face repository: the form (importModel), then the job followed live over the websocket
// (importJobProgress): a progress bar, every step with its message, and how it ended: the model, with a link to the
// deploy form that has it chosen, when it completed; the typed error and its hint when it failed.

import { failureMessage, h, time } from "./dom.js";
import { request } from "./gql.js";

const IMPORT = `mutation DashboardImport($input: ImportModelInput!) {
  importModel(input: $input) { id repoId scope namespace name state percent }
}`;

// Without `after`, the stream starts again from the job's first event: after a reconnection the client subscribes
// again and the events already shown (by id) are skipped.
const PROGRESS = `subscription DashboardImportProgress($id: ID!) {
  importJobProgress(id: $id) { id state step percent message timestamp }
}`;

const OUTCOME = `query DashboardImportOutcome($id: ID!) {
  importJob(id: $id) { state message error { code message hint } model { name namespace scope state } }
}`;

const ENDED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** The name the gateway gives a model by default: the repository's name as a DNS-1123 label. */
export function defaultName(repo) {
  const name = repo.split("/").pop().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 63).replace(/-+$/, "");
  return name || "model";
}

/** The deploy form with this model chosen. */
export function deployLink(model) {
  const parts = model.namespace ? [model.namespace, model.name] : [model.name];
  return `#/deploy/${parts.map(encodeURIComponent).join("/")}`;
}

function kind(scope) {
  return scope === "NAMESPACE" ? "BaseModel" : "ClusterBaseModel";
}

function field(label, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function stateBadge(state) {
  const tone = state === "COMPLETED" ? "ok" : ENDED.has(state) ? "bad" : "busy";
  return h("span", { class: `badge ${tone}` }, state);
}

/** How the job ended, from the job itself (the stream's last event has no error code or model). */
function ending(job) {
  if (job.state === "COMPLETED" && job.model) {
    const m = job.model;
    const name = m.namespace ? `${m.namespace}/${m.name}` : m.name;
    return h("p", { class: "ok-text", role: "status" }, `${kind(m.scope)} `, h("code", {}, name),
      ` is ${m.state ?? "created"}. `, h("a", { href: deployLink(m) }, `Deploy ${name}`));
  }
  if (job.state === "FAILED" && job.error) return failureMessage(job.error);
  return h("p", { role: "status" }, `The job is ${job.state.toLowerCase()}: ${job.message}`);
}

/** The job's panel, following its progress until it ends; returns {node, stop}. */
function follow(client, queued) {
  let alive = true;
  let percent = queued.percent;
  const seen = new Set();
  const bar = h("progress", { max: 100, value: percent, "aria-label": "Import progress" });
  const shown = h("span", { class: "percent" }, `${percent}%`);
  const state = h("span", { class: "job-state" }, stateBadge(queued.state));
  const steps = h("ol", { class: "steps" });
  const end = h("div", { class: "outcome" });
  const target = queued.namespace ? `${queued.namespace}/${queued.name}` : queued.name;
  const node = h("section", { class: "job", id: "job", "aria-labelledby": "job-title", "data-job": queued.id,
                              "data-state": queued.state },
    h("h3", { id: "job-title" }, `Importing ${queued.repoId} as ${kind(queued.scope)} `, h("code", {}, target)),
    h("p", { class: "progress" }, bar, shown, state),
    h("h4", {}, "Steps"), steps, end);

  const finish = async (id) => {
    try {
      const { importJob: job } = await request(OUTCOME, { id });
      if (!alive) return;
      end.replaceChildren(job ? ending(job)
        : failureMessage({ code: "NOT_FOUND", message: "The job is no longer kept by the gateway." }));
    } catch (error) {
      if (alive) end.replaceChildren(failureMessage(error));
    }
  };

  const stop = client.subscribe(PROGRESS, { id: queued.id }, {
    next: ({ importJobProgress: event }) => {
      if (!alive || seen.has(event.id)) return;
      seen.add(event.id);
      percent = Math.max(percent, event.percent); // a claim or a failure reports 0: the bar does not go back
      bar.value = percent;
      shown.textContent = `${percent}%`;
      node.dataset.state = event.state;
      state.replaceChildren(stateBadge(event.state));
      steps.append(h("li", { "data-step": event.step },
        h("span", { class: "step" }, event.step), " ", event.message, " ",
        h("span", { class: "detail" }, time(event.timestamp, { clock: true }))));
      if (ENDED.has(event.state)) finish(queued.id);
    },
    error: (error) => alive && end.replaceChildren(failureMessage(error)),
  });
  return { node, stop: () => { alive = false; stop(); } };
}

/** The import form for one repository, and the panel of the job it started; returns {node, stop}. */
export function importControl(client, repo) {
  let alive = true;
  let following = null;
  const scope = h("select", { id: "import-scope", name: "scope" },
    h("option", { value: "CLUSTER" }, "Cluster-wide (ClusterBaseModel)"),
    h("option", { value: "NAMESPACE" }, "One namespace (BaseModel)"));
  const namespace = h("input", { id: "import-namespace", name: "namespace", autocomplete: "off", spellcheck: "false",
                                 "aria-describedby": "import-namespace-help" });
  const name = h("input", { id: "import-name", name: "name", value: defaultName(repo), autocomplete: "off",
                            spellcheck: "false" });
  const secret = h("input", { id: "import-secret", name: "tokenSecret", autocomplete: "off", spellcheck: "false",
                              placeholder: "a Secret with key token" });
  const submit = h("button", { type: "submit" }, "Import");
  const outcome = h("div", { class: "outcome" });
  const job = h("div");
  const form = h("form", { class: "form import", "aria-labelledby": "import-title", novalidate: true },
    h("h3", { id: "import-title" }, "Import"),
    h("div", { class: "fields" }, field("Scope", scope), field("Namespace", namespace), field("Name", name),
      field("Token secret (optional)", secret), submit),
    h("p", { class: "detail", id: "import-namespace-help" },
      "The namespace of a BaseModel; for a cluster-wide model, the namespace of its token secret (gated or private ",
      "repositories)."),
    outcome);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const cluster = scope.value === "CLUSTER";
    const ns = namespace.value.trim() || null;
    const token = secret.value.trim();
    const input = { repoId: repo, scope: scope.value, namespace: cluster ? null : ns, name: name.value.trim() || null,
                    tokenSecret: token ? { name: token, namespace: cluster ? ns : null } : null };
    submit.disabled = true;
    outcome.replaceChildren(h("p", { role: "status" }, "Queuing the import…"));
    try {
      const { importModel: queued } = await request(IMPORT, { input });
      if (!alive) return;
      outcome.replaceChildren();
      following?.stop();
      following = follow(client, queued);
      job.replaceChildren(following.node);
    } catch (error) {
      if (alive) outcome.replaceChildren(failureMessage(error));
    } finally {
      submit.disabled = false;
    }
  });
  return { node: h("div", {}, form, job), stop: () => { alive = false; following?.stop(); } };
}
