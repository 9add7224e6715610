{{/* Names and labels shared by the chart's objects. */}}
{{- define "meshmcp.name" -}}meshmcp-control{{- end -}}

{{- define "meshmcp.labels" -}}
app: meshmcp-control
app.kubernetes.io/name: meshmcp-control
app.kubernetes.io/part-of: meshmcp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "meshmcp.selector" -}}
app.kubernetes.io/name: meshmcp-control
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshmcp.serviceAccount" -}}{{ .Values.serviceAccount.name }}{{- end -}}

{{- /* The control configuration as the control service reads it: control.namespace/host follow the release. */}}
{{- define "meshmcp.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config.control "namespace" .Release.Namespace -}}
{{- $_ := set $config.control "host" (include "meshmcp.controlHost" .) -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "meshmcp.controlHost" -}}
{{- printf "%s.%s.svc.cluster.local" .Values.config.control.route .Release.Namespace -}}
{{- end -}}
