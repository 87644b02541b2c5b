// The scale control of the service view: new replica bounds for one component (scaleInferenceService). A refusal
// is shown as the gateway types it (extensions.code, message, fields); the live view shows the outcome.

import { failureMessage, h } from "./dom.js";
import { request } from "./gql.js";

const SCALE = `mutation DashboardScale($input: ScaleInferenceServiceInput!) {
  scaleInferenceService(input: $input) { components { kind minReplicas maxReplicas } }
}`;

function number(value) {
  return value === "" ? null : Number(value);
}

/** The form; `current()` gives the service as last seen (its components' bounds fill the fields). */
export function scaleControl(namespace, name, current) {
  const components = current().components;
  const select = h("select", { id: "scale-component", name: "component" },
    components.map((c) => h("option", { value: c.kind }, c.kind.toLowerCase())));
  const min = h("input", { id: "scale-min", name: "minReplicas", type: "number", min: 0, step: 1, inputmode: "numeric" });
  const max = h("input", { id: "scale-max", name: "maxReplicas", type: "number", min: 0, step: 1, inputmode: "numeric" });
  const submit = h("button", { type: "submit" }, "Scale");
  const outcome = h("div", { class: "outcome" });

  const fill = () => {
    const component = current().components.find((c) => c.kind === select.value);
    min.value = component?.minReplicas ?? "";
    max.value = component?.maxReplicas ?? "";
  };
  select.addEventListener("change", fill);
  fill();

  const form = h("form", { class: "scale", "aria-labelledby": "scale-title" },
    h("h3", { id: "scale-title" }, "Scale"),
    h("div", { class: "fields" },
      h("label", { for: "scale-component" }, "Component", select),
      h("label", { for: "scale-min" }, "Min replicas", min),
      h("label", { for: "scale-max" }, "Max replicas", max),
      submit),
    outcome);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    outcome.replaceChildren(h("p", { role: "status" }, "Scaling…"));
    const input = { namespace, name, component: select.value, minReplicas: number(min.value),
                    maxReplicas: number(max.value) };
    try {
      await request(SCALE, { input });
      outcome.replaceChildren(h("p", { role: "status", class: "ok-text" },
        `${select.value.toLowerCase()} now scales between ${input.minReplicas ?? "its minimum"} and `
        + `${input.maxReplicas ?? "its maximum"} replicas.`));
    } catch (error) {
      outcome.replaceChildren(failureMessage(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
