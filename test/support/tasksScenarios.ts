// The official conformance suite's scenarios for the tasks extension (SEP-2663, io.modelcontextprotocol/tasks). No
// revision's requirement set lists an extension, so these are run by name, one `--scenario` per run of the suite.
// tasks-status-notifications is a placeholder in the suite (a single SKIPPED check): it passes without asserting.
export const TASKS_SCENARIOS: readonly string[] = [
  'tasks-lifecycle',
  'tasks-capability-negotiation',
  'tasks-wire-fields',
  'tasks-request-state-removal',
  'tasks-mrtr-input',
  'tasks-request-headers',
  'tasks-dispatch-and-envelope',
  'tasks-status-notifications',
  'tasks-required-task-error',
  'tasks-mrtr-composition',
];
