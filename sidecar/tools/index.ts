// The generic tools every meshmcp sidecar exposes, in the stable order tools/list shows them.
import type { Tool } from '../types.js';
import { checkEndpoints } from './checkEndpoints.js';
import { getEnvVars } from './getEnvVars.js';
import { getHealth } from './getHealth.js';
import { getLogs } from './getLogs.js';
import { getMetrics } from './getMetrics.js';
import { queryEnvoy } from './queryEnvoy.js';

export const genericTools: Tool[] = [getHealth, getMetrics, getLogs, queryEnvoy, checkEndpoints, getEnvVars];

export { checkEndpoints, getEnvVars, getHealth, getLogs, getMetrics, queryEnvoy };
