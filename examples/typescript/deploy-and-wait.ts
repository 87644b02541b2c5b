// Deploy a model on OME through the gateway and wait until the service is Ready: typed operations generated
// from the gateway's schema, a POST for the mutation and Server-Sent Events for the status subscription.
//
//   node deploy-and-wait.js <gateway URL> <namespace> <name> <model>     (after compiling, see examples/README.md)
import { execute, GatewayError, type GatewayOptions } from "../../clients/typescript/src/example.js";
import {
  DeployDocument,
  ServiceStatusDocument,
  type ServiceStatusSubscription,
  type ServiceStatusSubscriptionVariables,
  type TypedDocumentString,
} from "../../clients/typescript/src/generated/graphql.js";

/** Each result of a subscription over GraphQL-over-SSE (one `next` event each), until the server completes. */
async function* subscribe<TResult, TVariables>(
  options: GatewayOptions,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): AsyncGenerator<TResult> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "text/event-stream" };
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  const response = await fetch(`${options.url}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  if (!response.ok || !response.body) throw new Error(`gateway answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let blank: RegExpExecArray | null;
    while ((blank = /\r?\n\r?\n/.exec(buffer))) {  // an event ends with a blank line
      const lines = buffer.slice(0, blank.index).split(/\r?\n/);
      buffer = buffer.slice(blank.index + blank[0].length);
      const event = lines.find((line) => line.startsWith("event:"))?.slice(6).trim();
      const data = lines.find((line) => line.startsWith("data:"))?.slice(5);
      if (event === "complete") return;
      if (event !== "next" || data === undefined) continue;
      const payload = JSON.parse(data) as { data?: TResult; errors?: GatewayError["errors"] };
      if (payload.errors?.length) throw new GatewayError(payload.errors);
      if (payload.data) yield payload.data;
    }
  }
}

async function deployAndWait(options: GatewayOptions, namespace: string, name: string, model: string) {
  const deployed = await execute(options, DeployDocument, { input: { namespace, name, model } });
  const result = deployed.deployInferenceService;
  console.log(`created ${namespace}/${name} with runtime ${result.runtime.runtime.name}` +
    (result.autoSelected ? " (chosen by the gateway)" : ""));
  const variables: ServiceStatusSubscriptionVariables = { namespace, name };
  for await (const update of subscribe<ServiceStatusSubscription, ServiceStatusSubscriptionVariables>(
    options, ServiceStatusDocument, variables)) {
    const status = update.inferenceServiceStatus;
    const replicas = status.components.map((c) => `${c.kind.toLowerCase()} ${c.readyReplicas ?? 0}/${c.replicas ?? 0}`);
    console.log(`  ready=${status.ready} ${replicas.join(", ")}`);
    if (status.ready) {
      console.log(`${namespace}/${name} is Ready`);
      return;
    }
  }
  throw new Error("the status stream ended before the service was Ready");
}

const [url = "http://127.0.0.1:8000", namespace, name, model] = process.argv.slice(2);
if (!namespace || !name || !model) {
  console.error("usage: node deploy-and-wait.js <gateway URL> <namespace> <name> <model>");
  process.exit(2);
}
deployAndWait({ url: url.replace(/\/$/, ""), token: process.env["OME_GATEWAY_TOKEN"] }, namespace, name, model)
  .catch((error: unknown) => {
    console.error(error instanceof GatewayError ? `${error.code ?? "ERROR"}: ${error.message}` : String(error));
    process.exit(1);
  });
