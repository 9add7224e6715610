// Entry of the bundled sidecar image file (dist/sidecar-bundle/meshmcp-sidecar.mjs).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
