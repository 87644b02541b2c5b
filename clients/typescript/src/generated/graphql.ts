/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Replicas and resources of one component. */
export type ComponentInput = {
  /** CPU request and limit, e.g. "4" or "500m". */
  cpu?: string | null | undefined;
  /** nvidia.com/gpu request and limit. */
  gpus?: number | null | undefined;
  maxReplicas?: number | null | undefined;
  /** Memory request and limit, e.g. "32Gi". */
  memory?: string | null | undefined;
  minReplicas?: number | null | undefined;
};

/** A part of an inference service. */
export type ComponentKind =
  | 'DECODER'
  | 'ENGINE'
  | 'ROUTER';

/** What to deploy. Without a runtime, the gateway picks the one OME would. */
export type DeployInferenceServiceInput = {
  acceleratorClass?: string | null | undefined;
  decoder?: ComponentInput | null | undefined;
  /** Validate everything (server-side too) without creating anything. */
  dryRun?: boolean;
  engine?: ComponentInput | null | undefined;
  labels?: Array<LabelInput> | null | undefined;
  model: string;
  /** Default: the namespace's BaseModel of that name if there is one, else the ClusterBaseModel. */
  modelScope?: Scope | null | undefined;
  name: string;
  namespace: string;
  router?: ComponentInput | null | undefined;
  runtime?: string | null | undefined;
  /** As modelScope, for the runtime. */
  runtimeScope?: Scope | null | undefined;
};

/** Where an import job is: QUEUED, RUNNING, then COMPLETED, FAILED or CANCELLED. */
export type ImportJobState =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING';

/** A Hugging Face model to import. */
export type ImportModelInput = {
  /** Defaults to the repository's name as a DNS-1123 label. */
  name?: string | null | undefined;
  namespace?: string | null | undefined;
  /** e.g. "meta-llama/Llama-3.1-8B-Instruct" */
  repoId: string;
  /** A branch, tag or commit; default main. */
  revision?: string | null | undefined;
  /** CLUSTER: a ClusterBaseModel; NAMESPACE: a BaseModel in namespace. */
  scope?: Scope;
  /** Where nodes store the weights. */
  storagePath?: string | null | undefined;
  tokenSecret?: TokenSecretInput | null | undefined;
  /** Update the model if it already exists. */
  update?: boolean;
};

/** A label to set. */
export type LabelInput = {
  key: string;
  value: string;
};

/** New replica bounds for one component; only that component changes. */
export type ScaleInferenceServiceInput = {
  component?: ComponentKind;
  maxReplicas?: number | null | undefined;
  minReplicas?: number | null | undefined;
  name: string;
  namespace: string;
  /** Scale only if the service is still at this version (else CONFLICT). */
  resourceVersion?: string | null | undefined;
};

/** Whether an object is cluster-wide or lives in a namespace. */
export type Scope =
  | 'CLUSTER'
  | 'NAMESPACE';

/** The Secret (and key) holding a Hugging Face token for gated or private models. */
export type TokenSecretInput = {
  key?: string;
  name: string;
  /** Defaults to the model's namespace; required for a cluster-wide model. */
  namespace?: string | null | undefined;
};

export type CompatibleRuntimesQueryVariables = Exact<{
  model: string;
  acceleratorClass?: string | null | undefined;
}>;


export type CompatibleRuntimesQuery = { model: { name: string, compatibleRuntimes: Array<{ compatible: boolean, score: number, autoSelect: boolean, reasons: Array<string>, warnings: Array<string>, runtime: { name: string } }> } | null };

export type DashboardQueryVariables = Exact<{
  namespace?: string | null | undefined;
  first?: number | null | undefined;
}>;


export type DashboardQuery = { inferenceServices: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, namespace: string | null, ready: boolean, url: string | null, model: { name: string, scope: Scope, displayName: string | null, parameterSize: string | null, ready: boolean } | null, runtime: { name: string, scope: Scope, disabled: boolean } | null, accelerator: { name: string, gpuModel: string | null, memory: string | null } | null, components: Array<{ kind: ComponentKind, minReplicas: number | null, maxReplicas: number | null, ready: boolean | null, replicas: number, readyReplicas: number }> } }> }, clusterSummary: { models: number, modelsReady: number, runtimes: number, runtimesDisabled: number, services: number, servicesReady: number, servicesNotReady: number, acceleratorClasses: number, nodes: number, namespaces: number, gpusTotal: number, gpusUsed: number } };

export type DeployMutationVariables = Exact<{
  input: DeployInferenceServiceInput;
}>;


export type DeployMutation = { deployInferenceService: { dryRun: boolean, autoSelected: boolean, warnings: Array<string>, runtime: { runtime: { name: string } }, service: { name: string, namespace: string | null } } };

export type HubModelQueryVariables = Exact<{
  id: string;
  revision?: string | null | undefined;
}>;


export type HubModelQuery = { huggingFaceModel: { id: string, format: string | null, architecture: string | null, parameterSize: string | null, quantization: string | null, totalSizeBytes: number | null, capabilities: Array<string>, gated: boolean, compatibleRuntimes: Array<{ score: number, runtime: { name: string } }> } };

export type ImportModelMutationVariables = Exact<{
  input: ImportModelInput;
}>;


export type ImportModelMutation = { importModel: { id: string, state: ImportJobState, name: string, namespace: string | null } };

export type ImportProgressSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type ImportProgressSubscription = { importJobProgress: { id: string, state: ImportJobState, step: string, percent: number, message: string, code: string | null } };

export type ScaleMutationVariables = Exact<{
  input: ScaleInferenceServiceInput;
}>;


export type ScaleMutation = { scaleInferenceService: { name: string, namespace: string | null, metadata: { resourceVersion: string | null }, components: Array<{ kind: ComponentKind, minReplicas: number | null, maxReplicas: number | null }> } };

export type ServiceDetailQueryVariables = Exact<{
  namespace: string;
  name: string;
  eventLimit?: number;
}>;


export type ServiceDetailQuery = { inferenceService: { id: string, name: string, namespace: string | null, ready: boolean, url: string | null, acceleratorClassName: string | null, metadata: { resourceVersion: string | null, creationTimestamp: string | null, labels: Array<{ key: string, value: string }> }, modelRef: { kind: string, name: string, namespace: string | null } | null, runtimeRef: { kind: string, name: string, namespace: string | null } | null, conditions: Array<{ type: string, status: string, reason: string | null, message: string | null, lastTransitionTime: string | null }>, components: Array<{ kind: ComponentKind, minReplicas: number | null, maxReplicas: number | null, ready: boolean | null, url: string | null, replicas: number, readyReplicas: number }>, pods: Array<{ name: string, phase: string | null, ready: boolean, nodeName: string | null, component: string | null, restarts: number, gpus: number, containers: Array<{ name: string, image: string | null }> }>, events: Array<{ type: string | null, reason: string | null, message: string | null, count: number | null, lastTimestamp: string | null }> } | null };

export type ServiceStatusSubscriptionVariables = Exact<{
  namespace: string;
  name: string;
}>;


export type ServiceStatusSubscription = { inferenceServiceStatus: { name: string, namespace: string | null, ready: boolean, conditions: Array<{ type: string, status: string, reason: string | null, message: string | null }>, components: Array<{ kind: ComponentKind, ready: boolean | null, replicas: number, readyReplicas: number }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const CompatibleRuntimesDocument = new TypedDocumentString(`
    query CompatibleRuntimes($model: String!, $acceleratorClass: String) {
  model(name: $model) {
    name
    compatibleRuntimes(acceleratorClass: $acceleratorClass) {
      runtime {
        name
      }
      compatible
      score
      autoSelect
      reasons
      warnings
    }
  }
}
    `) as unknown as TypedDocumentString<CompatibleRuntimesQuery, CompatibleRuntimesQueryVariables>;
export const DashboardDocument = new TypedDocumentString(`
    query Dashboard($namespace: String, $first: Int) {
  inferenceServices(namespace: $namespace, first: $first) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        namespace
        ready
        url
        model {
          name
          scope
          displayName
          parameterSize
          ready
        }
        runtime {
          name
          scope
          disabled
        }
        accelerator {
          name
          gpuModel
          memory
        }
        components {
          kind
          minReplicas
          maxReplicas
          ready
          replicas
          readyReplicas
        }
      }
    }
  }
  clusterSummary {
    models
    modelsReady
    runtimes
    runtimesDisabled
    services
    servicesReady
    servicesNotReady
    acceleratorClasses
    nodes
    namespaces
    gpusTotal
    gpusUsed
  }
}
    `) as unknown as TypedDocumentString<DashboardQuery, DashboardQueryVariables>;
export const DeployDocument = new TypedDocumentString(`
    mutation Deploy($input: DeployInferenceServiceInput!) {
  deployInferenceService(input: $input) {
    dryRun
    autoSelected
    warnings
    runtime {
      runtime {
        name
      }
    }
    service {
      name
      namespace
    }
  }
}
    `) as unknown as TypedDocumentString<DeployMutation, DeployMutationVariables>;
export const HubModelDocument = new TypedDocumentString(`
    query HubModel($id: String!, $revision: String) {
  huggingFaceModel(id: $id, revision: $revision) {
    id
    format
    architecture
    parameterSize
    quantization
    totalSizeBytes
    capabilities
    gated
    compatibleRuntimes {
      score
      runtime {
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<HubModelQuery, HubModelQueryVariables>;
export const ImportModelDocument = new TypedDocumentString(`
    mutation ImportModel($input: ImportModelInput!) {
  importModel(input: $input) {
    id
    state
    name
    namespace
  }
}
    `) as unknown as TypedDocumentString<ImportModelMutation, ImportModelMutationVariables>;
export const ImportProgressDocument = new TypedDocumentString(`
    subscription ImportProgress($id: ID!) {
  importJobProgress(id: $id) {
    id
    state
    step
    percent
    message
    code
  }
}
    `) as unknown as TypedDocumentString<ImportProgressSubscription, ImportProgressSubscriptionVariables>;
export const ScaleDocument = new TypedDocumentString(`
    mutation Scale($input: ScaleInferenceServiceInput!) {
  scaleInferenceService(input: $input) {
    name
    namespace
    metadata {
      resourceVersion
    }
    components {
      kind
      minReplicas
      maxReplicas
    }
  }
}
    `) as unknown as TypedDocumentString<ScaleMutation, ScaleMutationVariables>;
export const ServiceDetailDocument = new TypedDocumentString(`
    query ServiceDetail($namespace: String!, $name: String!, $eventLimit: Int! = 20) {
  inferenceService(namespace: $namespace, name: $name) {
    id
    name
    namespace
    ready
    url
    acceleratorClassName
    metadata {
      resourceVersion
      creationTimestamp
      labels {
        key
        value
      }
    }
    modelRef {
      kind
      name
      namespace
    }
    runtimeRef {
      kind
      name
      namespace
    }
    conditions {
      type
      status
      reason
      message
      lastTransitionTime
    }
    components {
      kind
      minReplicas
      maxReplicas
      ready
      url
      replicas
      readyReplicas
    }
    pods {
      name
      phase
      ready
      nodeName
      component
      restarts
      gpus
      containers {
        name
        image
      }
    }
    events(limit: $eventLimit) {
      type
      reason
      message
      count
      lastTimestamp
    }
  }
}
    `) as unknown as TypedDocumentString<ServiceDetailQuery, ServiceDetailQueryVariables>;
export const ServiceStatusDocument = new TypedDocumentString(`
    subscription ServiceStatus($namespace: String!, $name: String!) {
  inferenceServiceStatus(namespace: $namespace, name: $name) {
    name
    namespace
    ready
    conditions {
      type
      status
      reason
      message
    }
    components {
      kind
      ready
      replicas
      readyReplicas
    }
  }
}
    `) as unknown as TypedDocumentString<ServiceStatusSubscription, ServiceStatusSubscriptionVariables>;