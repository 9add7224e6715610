// The bridge's SDK v2 test servers live beside its benchmark, which the build compiles (test/ it does not).
export * from '../../bench/bridgeUpstreams.js';
