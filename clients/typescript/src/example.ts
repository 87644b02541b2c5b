// A typed client for the OME gateway over plain fetch, using the generated operation types.
// `deploy` and `scale` below only compile when their variables and results match the schema.
import {
  DeployDocument,
  ScaleDocument,
  type DeployInferenceServiceInput,
  type DeployMutation,
  type ScaleInferenceServiceInput,
  type ScaleMutation,
  type TypedDocumentString,
} from "./generated/graphql.js";

export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string } & Record<string, unknown>;
}

export class GatewayError extends Error {
  constructor(readonly errors: ReadonlyArray<GraphQLErrorItem>) {
    super(errors.map((e) => e.message).join("; "));
    this.name = "GatewayError";
  }

  /** The gateway's error code (extensions.code) of the first error, e.g. NOT_FOUND or CONFLICT. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export interface GatewayOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8000 (GraphQL is served at /graphql). */
  url: string;
  /** A bearer token, passed through to the Kubernetes API. */
  token?: string;
}

/** POST one typed operation and return its data, or throw GatewayError. */
export async function execute<TResult, TVariables>(
  options: GatewayOptions,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json",
  };
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  const response = await fetch(`${options.url.replace(/\/$/, "")}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GraphQLErrorItem[] };
  if (body.errors?.length) throw new GatewayError(body.errors);
  if (body.data == null) throw new Error(`gateway answered ${response.status} without data`);
  return body.data;
}

/** Deploy (or, with dryRun, validate) an inference service; returns what was (would be) created. */
export async function deploy(
  options: GatewayOptions,
  input: DeployInferenceServiceInput,
): Promise<DeployMutation["deployInferenceService"]> {
  const data = await execute(options, DeployDocument, { input });
  return data.deployInferenceService;
}

/** Change the replica bounds of one component (the engine unless `component` says otherwise). */
export async function scale(
  options: GatewayOptions,
  input: ScaleInferenceServiceInput,
): Promise<ScaleMutation["scaleInferenceService"]> {
  const data = await execute(options, ScaleDocument, { input });
  return data.scaleInferenceService;
}

/** Dry-run a deployment, then create it and scale its engine to two replicas. */
export async function example(options: GatewayOptions): Promise<string> {
  const target = { name: "chat-llama-8b-copy", namespace: "research" };
  const plan = await deploy(options, { ...target, model: "llama-3-1-8b-instruct", dryRun: true });
  const picked = `${plan.runtime.runtime.name}${plan.autoSelected ? " (auto-selected)" : ""}`;
  for (const warning of plan.warnings) console.warn(`warning: ${warning}`);

  const created = await deploy(options, { ...target, model: "llama-3-1-8b-instruct", runtime: plan.runtime.runtime.name });
  const scaled = await scale(options, {
    namespace: created.service.namespace ?? target.namespace,
    name: created.service.name,
    component: "ENGINE",
    minReplicas: 2,
    maxReplicas: 2,
  });
  const engine = scaled.components.find((c) => c.kind === "ENGINE");
  return `${scaled.namespace}/${scaled.name} on ${picked}: engine ${engine?.minReplicas}..${engine?.maxReplicas}` +
    ` (resourceVersion ${scaled.metadata.resourceVersion})`;
}
