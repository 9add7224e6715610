{{/* Names and labels shared by the chart's objects. A shard's release names its own objects <name>-<shard>, so
the releases of two shards can share a namespace. */}}
{{- define "meshmcp.shard" -}}
{{- with .Values.shard -}}
{{- if not (regexMatch "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$" .) -}}
{{- fail (printf "shard %q is not a shard name: lower-case letters, digits and -, starting with a letter (e.g. east); leave shard empty for one unsharded release" .) -}}
{{- end -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{- define "meshmcp.shardSuffix" -}}{{ with include "meshmcp.shard" . }}-{{ . }}{{ end }}{{- end -}}

{{- define "meshmcp.name" -}}meshmcp-control{{ include "meshmcp.shardSuffix" . }}{{- end -}}

{{- /* The leader-election Lease: one per shard, as the control service's own default (--lease-name). */}}
{{- define "meshmcp.leaseName" -}}{{ .Values.leaseName | default (include "meshmcp.name" .) }}{{- end -}}

{{- define "meshmcp.labels" -}}
app: meshmcp-control
app.kubernetes.io/name: meshmcp-control
app.kubernetes.io/part-of: meshmcp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with include "meshmcp.shard" . }}
meshmcp.io/shard: {{ . }}
{{- end }}
{{- end -}}

{{- define "meshmcp.selector" -}}
app.kubernetes.io/name: meshmcp-control
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshmcp.serviceAccount" -}}{{ .Values.serviceAccount.name | default (include "meshmcp.name" .) }}{{- end -}}

{{- /* The control configuration as the control service reads it: control.namespace/host/serviceAccount follow the
release, and a shard's release names its shard. */}}
{{- define "meshmcp.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config.control "namespace" .Release.Namespace -}}
{{- $_ := set $config.control "host" (include "meshmcp.controlHost" .) -}}
{{- $_ := set $config.control "serviceAccount" (include "meshmcp.serviceAccount" .) -}}
{{- with include "meshmcp.shard" . }}{{ $_ := set $config "shard" . }}{{ end -}}
{{- toYaml $config -}}
{{- end -}}

{{- /* The control Service: named after the control route (a shard's release adds its shard). */}}
{{- define "meshmcp.controlService" -}}{{ .Values.config.control.route }}{{ include "meshmcp.shardSuffix" . }}{{- end -}}

{{- define "meshmcp.controlHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "meshmcp.controlService" .) .Release.Namespace -}}
{{- end -}}
