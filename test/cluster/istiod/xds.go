// What istiod generates: one fake discovery server per configuration (istio.io/istio/pilot/test/xds, backed by
// a fake Kubernetes client holding the fixture's Services, Pods and Namespaces), the proxies set up as istiod sets up
// a connecting Envoy, and their listeners, routes, clusters and ECDS extension configs marshalled as Envoy's JSON.
package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"
	"istio.io/istio/pkg/util/protomarshal"
	"istio.io/istio/pkg/wellknown"
)

// The Istio version the proxies announce: the minor version of the istio.io/istio module the harness is built from.
const proxyIstioVersion = "1.31.0"

type proxySpec struct {
	Name      string            `json:"name"`
	Type      string            `json:"type"` // "router" (a gateway) or "sidecar"
	Namespace string            `json:"namespace"`
	Pod       string            `json:"pod"`
	IP        string            `json:"ip"`
	Labels    map[string]string `json:"labels"`
}

type input struct {
	Configs      string      `json:"configs"`
	Kubernetes   string      `json:"kubernetes"`
	Proxies      []proxySpec `json:"proxies"`
	CheckPatches bool        `json:"checkPatches"`
}

type proxyOutput struct {
	Listeners        []json.RawMessage `json:"listeners"`
	Routes           []json.RawMessage `json:"routes"`
	Clusters         []json.RawMessage `json:"clusters"`
	ExtensionConfigs []json.RawMessage `json:"extensionConfigs"`
}

// patchEffect: one EnvoyFilter configPatch (index >= 0) or one WasmPlugin (index -1), and whether the generated
// configuration of any proxy changes when it is left out. One that changes nothing matched nothing.
type patchEffect struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Index     int    `json:"index"`
	ApplyTo   string `json:"applyTo,omitempty"`
	Changes   bool   `json:"changes"`
}

type output struct {
	Proxies map[string]*proxyOutput `json:"proxies"`
	Patches []patchEffect           `json:"patches"`
}

func run(in input) (out *output, err error) {
	if len(in.Proxies) == 0 {
		return nil, fmt.Errorf("input names no proxies; give at least one under \"proxies\"")
	}
	configs, _, err := crd.ParseInputs(in.Configs)
	if err != nil {
		return nil, fmt.Errorf("configs are not Istio resources istiod accepts: %v", err)
	}
	base, err := generate(configs, in)
	if err != nil {
		return nil, err
	}
	out = &output{Proxies: base, Patches: []patchEffect{}}
	if !in.CheckPatches {
		return out, nil
	}
	baseJSON, _ := json.Marshal(base)
	// The same input twice must give the same bytes, or "changed nothing" would mean nothing.
	again, err := generate(configs, in)
	if err != nil {
		return nil, err
	}
	if againJSON, _ := json.Marshal(again); string(againJSON) != string(baseJSON) {
		return nil, fmt.Errorf("istiod's output differs between two runs over the same input; patch effects cannot be judged")
	}
	for i, c := range configs {
		switch c.GroupVersionKind {
		case gvk.EnvoyFilter:
			ef := c.Spec.(*networking.EnvoyFilter)
			for j, p := range ef.ConfigPatches {
				without := withConfig(configs, i, dropPatch(c, j))
				changes, err := differs(without, in, baseJSON)
				if err != nil {
					return nil, err
				}
				out.Patches = append(out.Patches, patchEffect{
					Kind: "EnvoyFilter", Namespace: c.Namespace, Name: c.Name, Index: j,
					ApplyTo: p.ApplyTo.String(), Changes: changes,
				})
			}
		case gvk.WasmPlugin:
			changes, err := differs(withConfig(configs, i, nil), in, baseJSON)
			if err != nil {
				return nil, err
			}
			out.Patches = append(out.Patches, patchEffect{
				Kind: "WasmPlugin", Namespace: c.Namespace, Name: c.Name, Index: -1, Changes: changes,
			})
		}
	}
	return out, nil
}

// withConfig is configs with the i-th replaced by c, or left out when c is nil.
func withConfig(configs []config.Config, i int, c *config.Config) []config.Config {
	out := make([]config.Config, 0, len(configs))
	for k, x := range configs {
		if k != i {
			out = append(out, x)
		} else if c != nil {
			out = append(out, *c)
		}
	}
	return out
}

func dropPatch(c config.Config, j int) *config.Config {
	copied := c.DeepCopy()
	ef := proto.Clone(c.Spec.(*networking.EnvoyFilter)).(*networking.EnvoyFilter)
	ef.ConfigPatches = append(ef.ConfigPatches[:j:j], ef.ConfigPatches[j+1:]...)
	copied.Spec = ef
	return &copied
}

func differs(configs []config.Config, in input, baseJSON []byte) (bool, error) {
	got, err := generate(configs, in)
	if err != nil {
		return false, err
	}
	gotJSON, _ := json.Marshal(got)
	return string(gotJSON) != string(baseJSON), nil
}

// generate starts one fake istiod over the configs and the Kubernetes fixture and builds every proxy's xDS.
func generate(configs []config.Config, in input) (res map[string]*proxyOutput, err error) {
	t := &failer{}
	defer t.close()
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(fatal); ok {
				err = fmt.Errorf("istiod fixture failed: %s", f.msg)
				return
			}
			panic(r)
		}
	}()
	s := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		Configs:                configs,
		KubernetesObjectString: in.Kubernetes,
	})
	res = map[string]*proxyOutput{}
	for _, spec := range in.Proxies {
		p, err := setupProxy(s, spec)
		if err != nil {
			return nil, err
		}
		listeners := s.Listeners(p)
		// Envoy keys listeners, routes, clusters and extension configs by name, and istiod builds some of them from
		// maps: sort by name so that equal configuration gives equal bytes.
		sort.SliceStable(listeners, func(i, j int) bool { return listeners[i].Name < listeners[j].Name })
		po := &proxyOutput{}
		for _, l := range listeners {
			po.Listeners = append(po.Listeners, marshal(l))
		}
		routes := s.RoutesFromListeners(p, listeners)
		sort.SliceStable(routes, func(i, j int) bool { return routes[i].Name < routes[j].Name })
		for _, r := range routes {
			po.Routes = append(po.Routes, marshal(r))
		}
		clusters := s.Clusters(p)
		sort.SliceStable(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
		for _, c := range clusters {
			po.Clusters = append(po.Clusters, marshal(c))
		}
		ext := s.ConfigGen.BuildExtensionConfiguration(p, s.PushContext(), ecdsNames(listeners), nil)
		sort.SliceStable(ext, func(i, j int) bool { return ext[i].Name < ext[j].Name })
		for _, e := range ext {
			po.ExtensionConfigs = append(po.ExtensionConfigs, json.RawMessage(
				resourceVersion.ReplaceAllString(string(marshal(e)), `$1"fixture"`)))
		}
		res[spec.Name] = po
	}
	return res, nil
}

func setupProxy(s *xds.FakeDiscoveryServer, spec proxySpec) (*model.Proxy, error) {
	if spec.Name == "" || spec.Namespace == "" || spec.IP == "" || spec.Pod == "" {
		return nil, fmt.Errorf("proxy %q needs name, namespace, pod and ip (the fixture Pod's status.podIP)", spec.Name)
	}
	kind := model.SidecarProxy
	switch spec.Type {
	case "router":
		kind = model.Router
	case "sidecar", "":
	default:
		return nil, fmt.Errorf("proxy %q: type %q is neither router nor sidecar", spec.Name, spec.Type)
	}
	p := &model.Proxy{
		Type:            kind,
		ID:              spec.Pod + "." + spec.Namespace,
		IPAddresses:     []string{spec.IP},
		ConfigNamespace: spec.Namespace,
		Labels:          spec.Labels,
		Metadata: &model.NodeMetadata{
			Namespace:    spec.Namespace,
			Labels:       spec.Labels,
			IstioVersion: proxyIstioVersion,
			ClusterID:    cluster.ID("Kubernetes"),
		},
	}
	return s.SetupProxy(p), nil
}

// ecdsNames: every HTTP filter of every listener that asks for its configuration through ECDS.
func ecdsNames(listeners []*listenerT) []string {
	seen := map[string]bool{}
	for _, l := range listeners {
		for _, fc := range allChains(l) {
			for _, f := range fc.Filters {
				if f.Name != wellknown.HTTPConnectionManager {
					continue
				}
				h := &hcm.HttpConnectionManager{}
				if f.GetTypedConfig().UnmarshalTo(h) != nil {
					continue
				}
				for _, hf := range h.HttpFilters {
					if hf.GetConfigDiscovery() != nil {
						seen[hf.Name] = true
					}
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// A WasmPlugin's resource version reaches the VM's environment; the fake's in-memory store makes it the time of
// creation, which a real cluster would not change between two generations of the same objects.
var resourceVersion = regexp.MustCompile(`("ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION":)"[^"]*"`)

func marshal(m proto.Message) json.RawMessage {
	s, err := protomarshal.ToJSON(m)
	if err != nil {
		panic(fatal{fmt.Sprintf("marshal %T: %v", m, err)})
	}
	return json.RawMessage(s)
}
