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
Checks values that no template could render sensibly; called once from the Deployment.
*/}}
{{- define "ome-gateway.validate" -}}
{{- if not (has .Values.auth.mode (list "none" "bearer" "proxy")) }}
{{- fail (printf "auth.mode must be one of none, bearer, proxy; got %q" (toString .Values.auth.mode)) }}
{{- end }}
{{- if and .Values.redis.enabled (or .Values.redis.url .Values.redis.existingSecret.name) }}
{{- fail "redis.enabled runs a bundled valkey: leave redis.url and redis.existingSecret.name empty, or set redis.enabled=false" }}
{{- end }}
{{- if and .Values.redis.url .Values.redis.existingSecret.name }}
{{- fail "set one of redis.url and redis.existingSecret.name, not both" }}
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
