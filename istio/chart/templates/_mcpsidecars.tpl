{{- /*
The MCP sidecar for charts that add it themselves (values: mcpSidecars: enable flags, image, port, resources, env). In your
pod spec:
  containers:
    - name: my-app
      ...
    {{- include "meshmcp.mcpSidecars.containers" (dict "Values" .Values "serviceName" "payment-service") | nindent 4 }}
  volumes:
    {{- include "meshmcp.mcpSidecars.volumes" (dict "Values" .Values "serviceName" "payment-service") | nindent 4 }}
The pod still needs istio-proxy's meshmcp.wasm and bootstrap mounts: use the `meshmcp` injection template, or the
sidecar.istio.io/userVolume annotations of istio/README.md.
*/ -}}
{{- define "meshmcp.mcpSidecars.containers" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.sidecar.enabled -}}
{{- $s := $m.sidecar -}}
- name: mcp-sidecar
  image: "{{ $s.image.repository }}:{{ $s.image.tag }}"
  imagePullPolicy: {{ $s.image.pullPolicy }}
  workingDir: /app
  command: [node, --max-semi-space-size=1, --max-old-space-size=16, --no-opt, --no-maglev, --no-sparkplug, --optimize-for-size, dist/sidecar-bundle/meshmcp-sidecar.mjs]
  ports:
    - name: mcp
      containerPort: {{ $s.port }}
      protocol: TCP
  env:
    - name: SERVICE_NAME
      value: {{ .serviceName | quote }}
    - name: MCP_PORT
      value: {{ $s.port | quote }}
    - name: MCP_HOST
      value: 0.0.0.0
    - name: SERVICE_PORT
      value: {{ $s.servicePort | quote }}
    - name: TOOLS_CONFIG
      value: /etc/mcp/tools.yaml
    - name: LOG_DIR
      value: /var/log/app
    {{- with $s.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $s.resources | nindent 4 }}
  livenessProbe:
    httpGet: { path: /healthz, port: {{ $s.port }} }
    periodSeconds: 30
  readinessProbe:
    httpGet: { path: /readyz, port: {{ $s.port }} }
    periodSeconds: 10
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: mcp-tools
      mountPath: /etc/mcp
      readOnly: true
    - name: {{ $s.logVolume }}
      mountPath: /var/log/app
      readOnly: true
    - name: mcp-tmp
      mountPath: /tmp
    {{- with $s.volumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
{{- end -}}

{{- define "meshmcp.mcpSidecars.packs" -}}
{{- include "meshmcp.mcpSidecars.kubernetesPack" . }}
{{ include "meshmcp.mcpSidecars.prometheusPack" . }}
{{ include "meshmcp.mcpSidecars.logsPack" . }}
{{- end -}}

{{- define "meshmcp.mcpSidecars.kubernetesPack" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.kubernetes $m.kubernetes.enabled -}}
{{- $k := $m.kubernetes -}}
{{- $image := merge (dict) ($k.image | default dict) $m.sidecar.image -}}
- name: mcp-kubernetes
  image: "{{ $image.repository }}:{{ $image.tag }}"
  imagePullPolicy: {{ $image.pullPolicy }}
  workingDir: /app
  command: [node, --max-semi-space-size=1, --max-old-space-size=16, --no-opt, --no-maglev, --no-sparkplug, --optimize-for-size, dist/sidecar-bundle/meshmcp-sidecar.mjs, --pack, kubernetes]
  ports:
    - name: mcp-kubernetes
      containerPort: {{ $k.port }}
      protocol: TCP
  env:
    - name: MCP_PORT
      value: {{ $k.port | quote }}
    - name: MCP_HOST
      value: 127.0.0.1
    {{- with $k.namespaces }}
    - name: MCP_NAMESPACES
      value: {{ . | quote }}
    {{- end }}
    {{- with $k.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $k.resources | nindent 4 }}
  # Bound to localhost, like the other packs: no kubelet probe; /health answers on localhost (ready when the API
  # server answers a one-pod list as the pod's ServiceAccount). It reads the pod's ServiceAccount token and CA.
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
{{- end -}}
{{- end -}}

{{- /*
The kubernetes pack's grants for the pod's ServiceAccount, as documents of their own (put it in a template file of
your chart): {{ include "meshmcp.mcpSidecars.kubernetesRbac" (dict "Values" .Values "namespace" .Release.Namespace "serviceAccount" "payment-service") }}
A RoleBinding to the ClusterRole meshmcp-kubernetes-pack (istio/base/rbac.yaml, or this chart's rbac.yaml) in each
namespace of mcpSidecars.kubernetes.namespaces (the release namespace when empty), and with nodes: true a
ClusterRoleBinding to meshmcp-kubernetes-pack-nodes. Nothing when the pack is off; `*` binds the release namespace only
(cluster-wide reading is a ClusterRoleBinding you write yourself, on purpose).
*/ -}}
{{- define "meshmcp.mcpSidecars.kubernetesRbac" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.kubernetes $m.kubernetes.enabled -}}
{{- $sa := .serviceAccount -}}
{{- $home := .namespace -}}
{{- $list := list $home -}}
{{- if and $m.kubernetes.namespaces (ne $m.kubernetes.namespaces "*") }}{{ $list = splitList "," ($m.kubernetes.namespaces | nospace) }}{{ end -}}
{{- range $ns := $list }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $sa }}-kubernetes-pack
  namespace: {{ $ns }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: meshmcp-kubernetes-pack
subjects:
  - kind: ServiceAccount
    name: {{ $sa }}
    namespace: {{ $home }}
{{- end }}
{{- if $m.kubernetes.nodes }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $sa }}-{{ $home }}-kubernetes-pack-nodes
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: meshmcp-kubernetes-pack-nodes
subjects:
  - kind: ServiceAccount
    name: {{ $sa }}
    namespace: {{ $home }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "meshmcp.mcpSidecars.prometheusPack" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.prometheus $m.prometheus.enabled -}}
{{- $p := $m.prometheus -}}
{{- $image := merge (dict) ($p.image | default dict) $m.sidecar.image -}}
{{- if not $p.prometheusUrl }}{{ fail "mcpSidecars.prometheus.prometheusUrl is required when the prometheus pack is enabled" }}{{ end }}
- name: mcp-prometheus
  image: "{{ $image.repository }}:{{ $image.tag }}"
  imagePullPolicy: {{ $image.pullPolicy }}
  workingDir: /app
  command: [node, --max-semi-space-size=1, --max-old-space-size=16, --no-opt, --no-maglev, --no-sparkplug, --optimize-for-size, dist/sidecar-bundle/meshmcp-sidecar.mjs, --pack, prometheus]
  ports:
    - name: mcp-prometheus
      containerPort: {{ $p.port }}
      protocol: TCP
  env:
    - name: MCP_PORT
      value: {{ $p.port | quote }}
    - name: MCP_HOST
      value: 127.0.0.1
    - name: PROMETHEUS_URL
      value: {{ $p.prometheusUrl | quote }}
    {{- with $p.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $p.resources | nindent 4 }}
  # Bound to localhost for the containers of this pod (a chat bot's in-pod shape): no kubelet probe can reach it,
  # so it has none; /health answers on localhost.
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
{{- end -}}
{{- end -}}

{{- define "meshmcp.mcpSidecars.logsPack" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.logs $m.logs.enabled -}}
{{- $l := $m.logs -}}
{{- $image := merge (dict) ($l.image | default dict) $m.sidecar.image -}}
- name: mcp-logs
  image: "{{ $image.repository }}:{{ $image.tag }}"
  imagePullPolicy: {{ $image.pullPolicy }}
  workingDir: /app
  command: [node, --max-semi-space-size=1, --max-old-space-size=16, --no-opt, --no-maglev, --no-sparkplug, --optimize-for-size, dist/sidecar-bundle/meshmcp-sidecar.mjs, --pack, logs]
  ports:
    - name: mcp-logs
      containerPort: {{ $l.port }}
      protocol: TCP
  env:
    - name: MCP_PORT
      value: {{ $l.port | quote }}
    - name: MCP_HOST
      value: 127.0.0.1
    - name: LOG_DIR
      value: /var/log/app
    {{- if $l.gatewayUrl }}
    {{- if not $l.gatewayKeySecret }}{{ fail "mcpSidecars.logs.gatewayKeySecret is required with gatewayUrl: the Secret holding the pack's delegate API key" }}{{ end }}
    # trace_request: through the gateway, acting for its caller with a delegate key (the README's logs pack).
    - name: MESHMCP_GATEWAY_URL
      value: {{ $l.gatewayUrl | quote }}
    - name: MESHMCP_GATEWAY_KEY
      valueFrom:
        secretKeyRef:
          name: {{ $l.gatewayKeySecret | quote }}
          key: {{ $l.gatewayKeySecretKey | default "key" | quote }}
    {{- end }}
    {{- with $l.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $l.resources | nindent 4 }}
  # Bound to localhost, like the prometheus pack: no kubelet probe; /health answers on localhost.
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: {{ $l.logVolume }}
      mountPath: /var/log/app
      readOnly: true
{{- end -}}
{{- end -}}

{{- define "meshmcp.mcpSidecars.volumes" -}}
{{- $m := .Values.mcpSidecars -}}
{{- if and $m.enabled $m.sidecar.enabled -}}
- name: mcp-tools
  configMap:
    name: {{ $m.sidecar.toolsConfigMap | default (printf "%s-mcp-tools" .serviceName) }}
    optional: true
- name: mcp-tmp
  emptyDir:
    sizeLimit: 16Mi
{{- end -}}
{{- end -}}
