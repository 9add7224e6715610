// Reads the deployment manifests under istio/ for the pure manifest tests: every YAML document, by file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/cli.js';

export const ISTIO = join(ROOT, 'istio');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export interface Doc {
  /** path relative to istio/ */
  file: string;
  obj: K8sObject;
}

/** Every file under istio/ (relative paths, sorted); chart/templates holds Helm templates, not YAML. */
export function istioFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(ISTIO, full));
    }
  };
  walk(ISTIO);
  return out;
}

export function yamlFiles(): string[] {
  return istioFiles().filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('chart/templates/'));
}

export function read(file: string): string {
  return readFileSync(join(ISTIO, file), 'utf8');
}

/** The documents of one YAML file; throws with the file name on a syntax error. */
export function parseYamlFile(file: string): unknown[] {
  const docs = parseAllDocuments(read(file), { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

let cached: Doc[] | undefined;

/** Every Kubernetes object (a mapping with apiVersion and kind) in the YAML files (read once per test file). */
export function objects(): Doc[] {
  if (cached) return cached;
  const out: Doc[] = [];
  for (const file of yamlFiles()) {
    for (const v of parseYamlFile(file)) {
      const o = v as K8sObject;
      if (o && typeof o === 'object' && typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
        out.push({ file, obj: o });
      }
    }
  }
  cached = out;
  return out;
}

export function find(kind: string, name: string, namespace?: string): K8sObject {
  const hit = objects().filter(
    (d) =>
      d.obj.kind === kind &&
      d.obj.metadata.name === name &&
      (namespace === undefined || d.obj.metadata.namespace === namespace),
  );
  if (hit.length === 0) throw new Error(`no ${kind} ${namespace ?? '*'}/${name} under istio/`);
  return hit[0]!.obj;
}

/**
 * The `meshmcp` injection template of operator.yaml as YAML: Go template actions are removed (lines holding only an
 * action) or replaced by a placeholder, which is enough to read the container it adds.
 */
export function injectionTemplate(): any {
  const operator = parseYamlFile('operator.yaml')[0] as any;
  const text: string = operator.spec.values.sidecarInjectorWebhook.templates.meshmcp;
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*\{\{.*\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{.*?\}\}/g, 'templated'));
  const docs = parseAllDocuments(lines.join('\n'));
  const doc = Array.isArray(docs) ? docs[0]! : docs;
  if (doc.errors.length > 0) throw new Error(`operator.yaml meshmcp template: ${doc.errors[0]!.message}`);
  return doc.toJS();
}
