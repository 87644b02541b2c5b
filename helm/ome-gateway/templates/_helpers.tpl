{{/*
The chart name, truncated to the 63 characters a label value may have.
*/}}
{{- define "ome-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full resource name: fullnameOverride, else "<release>-<name>" (just the release name when it already holds the name).
*/}}
{{- define "ome-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The name of the bundled valkey's Deployment and Service.
*/}}
{{- define "ome-gateway.redisName" -}}
{{- printf "%s-redis" (include "ome-gateway.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
"name-version" for the helm.sh/chart label.
*/}}
{{- define "ome-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every resource of the release carries.
*/}}
{{- define "ome-gateway.labels" -}}
helm.sh/chart: {{ include "ome-gateway.chart" . }}
app.kubernetes.io/name: {{ include "ome-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ome-gateway
{{- end }}

{{/*
Selector labels of the gateway pods (the component label keeps the bundled valkey out of them).
*/}}
{{- define "ome-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ome-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/*
Selector labels of the bundled valkey pods.
*/}}
{{- define "ome-gateway.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "ome-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{/*
The ServiceAccount the gateway runs as.
*/}}
{{- define "ome-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ome-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The gateway image reference.
*/}}
{{- define "ome-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/*
True (non-empty) when the gateway gets a REDIS_URL: bundled valkey, redis.url or redis.existingSecret.
*/}}
{{- define "ome-gateway.redisConfigured" -}}
{{- if or .Values.redis.enabled .Values.redis.url .Values.redis.existingSecret.name }}true{{ end }}
{{- end }}

{{/*
OME_GATEWAY_IMPORT_WORKERS: imports.workers when a Redis is configured (the job queue lives there), else 0.
*/}}
{{- define "ome-gateway.importWorkers" -}}
{{- if include "ome-gateway.redisConfigured" . }}{{ int .Values.imports.workers }}{{ else }}0{{ end }}
{{- end }}

{{/*
True (non-empty) when Hugging Face import workers run in the gateway pods: they then act with the gateway's own
ServiceAccount (model writes, token Secrets) and reach the hub.
*/}}
{{- define "ome-gateway.importsOn" -}}
{{- if gt (int (include "ome-gateway.importWorkers" .)) 0 }}true{{ end }}
{{- end }}

{{/*
The namespaces of imports.tokenSecretNamespaces, each once (a YAML list in a string; fromYamlArray reads it back).
*/}}
{{- define "ome-gateway.tokenSecretNamespaces" -}}
{{- uniq (.Values.imports.tokenSecretNamespaces | default list) | toYaml }}
{{- end }}

{{/*
The name of the Role and RoleBinding that let the import workers read token Secrets in one namespace.
*/}}
{{- define "ome-gateway.importTokensName" -}}
{{- printf "%s-import-tokens" (include "ome-gateway.fullname" . | trunc 49 | trimSuffix "-") }}
{{- end }}

{{/*
auth.trustedProxies as OME_GATEWAY_TRUSTED_PROXIES wants it: comma-separated (a list, or a string already joined).
*/}}
{{- define "ome-gateway.trustedProxies" -}}
{{- $proxies := .Values.auth.trustedProxies }}
{{- if kindIs "string" $proxies }}
{{- $proxies = splitList "," $proxies }}
{{- end }}
{{- $clean := list }}
{{- range ($proxies | default list) }}
{{- with (toString . | trim) }}
{{- $clean = append $clean . }}
{{- end }}
{{- end }}
{{- join "," $clean }}
{{- end }}

{{/*
The Secret holding the proxy's shared secret (proxy mode): auth.proxySecret.existingSecret.name, or the one the chart
creates from auth.proxySecret.value; empty when there is none.
*/}}
{{- define "ome-gateway.proxySecretName" -}}
{{- if eq .Values.auth.mode "proxy" }}
{{- if .Values.auth.proxySecret.existingSecret.name }}
{{- .Values.auth.proxySecret.existingSecret.name }}
{{- else if .Values.auth.proxySecret.value }}
{{- printf "%s-proxy-secret" (include "ome-gateway.fullname" . | trunc 50 | trimSuffix "-") }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The key of the proxy's shared secret in that Secret.
*/}}
{{- define "ome-gateway.proxySecretKey" -}}
{{- if .Values.auth.proxySecret.existingSecret.name }}
{{- required "auth.proxySecret.existingSecret.key must not be empty" .Values.auth.proxySecret.existingSecret.key }}
{{- else }}proxy-secret{{ end }}
{{- end }}

{{/*
Checks values that no template could render sensibly; called once from the Deployment.
*/}}
{{- define "ome-gateway.validate" -}}
{{- if not (has .Values.auth.mode (list "none" "bearer" "proxy")) }}
{{- fail (printf "auth.mode must be one of none, bearer, proxy; got %q" (toString .Values.auth.mode)) }}
{{- end }}
{{- if not (kindIs "bool" .Values.auth.allowUnauthenticated) }}
{{- fail (printf "auth.allowUnauthenticated must be true or false (a boolean, not a string); got %q" (toString .Values.auth.allowUnauthenticated)) }}
{{- end }}
{{- if and (eq .Values.auth.mode "none") (not .Values.auth.allowUnauthenticated) }}
{{- fail "auth.mode=none serves the GraphQL API without authentication on the pod's address (0.0.0.0), which the gateway refuses: choose auth.mode=bearer or proxy, or set auth.allowUnauthenticated=true (OME_GATEWAY_ALLOW_UNAUTHENTICATED) if this is really wanted" }}
{{- end }}
{{- if eq .Values.auth.mode "proxy" }}
{{- if and .Values.auth.proxySecret.value .Values.auth.proxySecret.existingSecret.name }}
{{- fail "set one of auth.proxySecret.value and auth.proxySecret.existingSecret.name, not both" }}
{{- end }}
{{- if not (or (include "ome-gateway.trustedProxies" .) (include "ome-gateway.proxySecretName" .)) }}
{{- fail "auth.mode=proxy needs auth.trustedProxies or auth.proxySecret (value or existingSecret.name), or both: otherwise anyone could claim any identity in X-Forwarded-User" }}
{{- end }}
{{- range splitList "," (include "ome-gateway.trustedProxies" .) }}
{{- if and . (not (regexMatch "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(/[0-9]{1,3})?$" .)) }}
{{- fail (printf "auth.trustedProxies must list IP addresses or CIDR networks; got %q" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- if or (lt (int .Values.auth.reviewTtl) 0) (gt (int .Values.auth.reviewTtl) 3600) }}
{{- fail (printf "auth.reviewTtl must be between 0 and 3600 seconds; got %v" .Values.auth.reviewTtl) }}
{{- end }}
{{- if and .Values.redis.enabled (or .Values.redis.url .Values.redis.existingSecret.name) }}
{{- fail "redis.enabled runs a bundled valkey: leave redis.url and redis.existingSecret.name empty, or set redis.enabled=false" }}
{{- end }}
{{- if and .Values.redis.url .Values.redis.existingSecret.name }}
{{- fail "set one of redis.url and redis.existingSecret.name, not both" }}
{{- end }}
{{- if not (regexMatch "^[0-9]+$" (toString .Values.imports.workers)) }}
{{- fail (printf "imports.workers must be a whole number from 0 to 64; got %q" (toString .Values.imports.workers)) }}
{{- end }}
{{- if gt (int .Values.imports.workers) 64 }}
{{- fail (printf "imports.workers must be a whole number from 0 to 64; got %v" .Values.imports.workers) }}
{{- end }}
{{- if not (kindIs "slice" (.Values.imports.tokenSecretNamespaces | default list)) }}
{{- fail (printf "imports.tokenSecretNamespaces must be a list of namespaces, e.g. --set 'imports.tokenSecretNamespaces={team-a,team-b}'; got %q" (toString .Values.imports.tokenSecretNamespaces)) }}
{{- end }}
{{- range (.Values.imports.tokenSecretNamespaces | default list) }}
{{- if not (and (kindIs "string" .) (le (len .) 63) (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .)) }}
{{- fail (printf "imports.tokenSecretNamespaces must list namespace names (DNS-1123 labels); got %q" (toString .)) }}
{{- end }}
{{- end }}
{{- if not (has .Values.config.logLevel (list "debug" "info" "warning" "error")) }}
{{- fail (printf "config.logLevel must be one of debug, info, warning, error; got %q" (toString .Values.config.logLevel)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if eq (int .Values.securityContext.runAsUser) 0 }}
{{- fail "securityContext.runAsUser must not be 0: the gateway runs as non-root" }}
{{- end }}
{{- end }}
