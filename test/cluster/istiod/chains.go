// Listener helpers: a listener's filter chains including its default chain.
package main

import listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

type listenerT = listener.Listener

func allChains(l *listenerT) []*listener.FilterChain {
	chains := append([]*listener.FilterChain{}, l.FilterChains...)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	return chains
}
