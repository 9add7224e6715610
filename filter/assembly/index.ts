// Entry of meshmcp.wasm. This skeleton only carries the ABI marker so the build step is real; the filter
// itself (ABI layer, JSON-RPC scanner, policy, metering) lands with the filter issue.

export function proxy_abi_version_0_2_1(): void {}

// Envoy never provides env.abort: asconfig routes AssemblyScript's abort here.
export function abortHandler(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}
