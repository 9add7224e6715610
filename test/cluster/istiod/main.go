// meshmcp-istiod: runs istiod's own config generation (istio.io/istio/pilot/test/xds, the fixture Istio's
// EnvoyFilter tests use) over rendered meshmcp resources and a fixture of Kubernetes objects, and prints what Istio
// would send each proxy as JSON. Input: one JSON document on stdin (see README.md). Exit 0 with the JSON on stdout,
// or 1 with the reason on stderr.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	istiolog "istio.io/istio/pkg/log"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--help" || os.Args[1] == "-h") {
		fmt.Println("usage: meshmcp-istiod < input.json > output.json\n\n" +
			"Input: {\"configs\": <Istio YAML>, \"kubernetes\": <Kubernetes YAML>, \"proxies\": [...], \"checkPatches\": bool}.\n" +
			"Output: per proxy the listeners, routes, clusters and extension configs istiod generates, and per\n" +
			"EnvoyFilter patch / WasmPlugin whether removing it changes anything (a patch that changes nothing matched nothing).\n" +
			"istiod's warnings and errors go to stderr as JSON lines.")
		return
	}
	opts := istiolog.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.ErrorOutputPaths = []string{"stderr"}
	opts.JSONEncoding = true
	opts.SetDefaultOutputLevel(istiolog.DefaultScopeName, istiolog.WarnLevel)
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.WarnLevel)
	}
	if err := istiolog.Configure(opts); err != nil {
		fail(fmt.Errorf("configure logging: %v", err))
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(fmt.Errorf("read stdin: %v", err))
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail(fmt.Errorf("stdin is not the input JSON: %v", err))
	}
	out, err := run(in)
	if err != nil {
		fail(err)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "meshmcp-istiod: "+err.Error())
	os.Exit(1)
}
