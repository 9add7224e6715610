{{- /*
An MCP server of its own behind meshmcp, for a team's chart (README "Bring your own MCP server"): its MCP Service,
labelled mcp-enabled and annotated with the server's path and revisions. In your chart:
  {{ include "meshmcp.mcpUpstream.service" (dict "name" "everything" "port" 3001 "path" "/mcp" "protocols" (list "2025-11-25" "2026-07-28")) }}
(`selector` defaults to {app: <name>}; `path` to /mcp; `protocols` to 2025-11-25), and on the server's pod template
the annotation `inject.istio.io/templates: sidecar,meshmcp-proxy` (istio-proxy with meshmcp.wasm, no MCP sidecar).
Behind a bridge (sidecar/README.md, Bridge mode), give `"bridge" true` and the sidecar's port 3000 as `port`, and
annotate the pod template `inject.istio.io/templates: sidecar,meshmcp` with `meshmcp.io/bridge-upstream` (the
server on loopback, e.g. http://127.0.0.1:3001/mcp) and `meshmcp.io/bridge-protocols` (its revisions).
*/ -}}
{{- define "meshmcp.mcpUpstream.service" -}}
{{- $name := required "meshmcp.mcpUpstream.service: name is required (the server's app label, the <name> of <name>__<tool>)" .name -}}
{{- $port := required "meshmcp.mcpUpstream.service: port is required (the server's MCP port)" .port -}}
{{- $path := .path | default "/mcp" -}}
{{- if not (hasPrefix "/" $path) -}}
{{- fail (printf "meshmcp.mcpUpstream.service: path %q must be an absolute URL path, e.g. /mcp" $path) -}}
{{- end -}}
{{- $protocols := .protocols | default (list "2025-11-25") -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-mcp" $name }}
  labels:
    app: {{ $name }}
    mcp-enabled: "true"
  annotations:
    meshmcp.io/upstream-path: {{ $path | quote }}
    meshmcp.io/upstream-protocols: {{ join "," $protocols | quote }}
    {{- if .bridge }}
    meshmcp.io/upstream-bridge: "true"
    {{- end }}
spec:
  selector:
    {{- toYaml (.selector | default (dict "app" $name)) | nindent 4 }}
  ports:
    - name: mcp
      port: {{ $port }}
      targetPort: {{ $port }}
      protocol: TCP
      appProtocol: http
{{- end -}}
