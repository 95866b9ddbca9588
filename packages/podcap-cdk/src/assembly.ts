/**
 * What the plugin reads from the cloud assembly around the templates CDK hands it: every template (nested
 * stacks' too), each template's logical id -> construct path, and CDK acknowledgments (rule -> construct
 * paths). It reads the same JSON files, the same way, as podcap's Python plugin (`podcap.cdk.validation`)
 * and `podcap check cdk.out` (`podcap.sources.cdk_assembly`): `manifest.json`, each stack's
 * `additionalMetadataFile` (`<Stack>.metadata.json`), nested cloud assemblies (stages) and the asset
 * manifests (`*.assets.json`) that locate nested stack templates.
 */
import * as fs from 'fs';
import * as path from 'path';

/** CDK's construct metadata types (aws-cdk-lib `cx-api` / `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`). */
export const LOGICAL_ID_METADATA = 'aws:cdk:logicalId';
export const TEMPLATE_FILE_METADATA = 'aws:cdk:templateFile';
export const ACK_METADATA = 'aws:cdk:acknowledged-rules';
/** CDK qualifies a plugin's rule names with the plugin name: `podcap::PC201`. */
export const ACK_NAMESPACE = 'podcap';
const STACK_TYPE = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY_TYPE = 'cdk:cloud-assembly';
const ASSET_MANIFEST_TYPE = 'cdk:asset-manifest';
const MAX_DEPTH = 8;
const ASSET_KEY = /([0-9a-f]{64}\.json)/;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A cloud assembly that cannot be read (podcap itself reports it when it checks the assembly). */
export class AssemblyError extends Error {}

/** The assembly around the templates, as the plugin needs it. */
export class AssemblyIndex {
  public readonly templates: string[] = [];
  public readonly nestedTemplates: string[] = [];
  /** template file name -> logical id -> construct path (without the leading `/`) */
  public readonly constructPaths = new Map<string, Map<string, string>>();
  /** qualified rule id (`podcap::PC201`) -> construct path -> reason */
  public readonly acknowledged = new Map<string, Map<string, string>>();
  /** nested stacks whose resource lacks `aws:asset:path`: parent template -> logical id -> template file */
  public readonly unlinkedNested = new Map<string, Map<string, string>>();

  public constructPath(template: string, logicalId: string): string | undefined {
    return this.constructPaths.get(path.basename(template))?.get(logicalId);
  }

  /** The reason of the closest acknowledgment of `podcap::<ruleId>` at or above the construct path. */
  public acknowledgment(ruleId: string, constructPath: string | undefined): string | undefined {
    return acknowledgment(this.acknowledged, ruleId, constructPath);
  }

  /**
   * An acknowledgment of the bare rule id (`Validations.of(x).acknowledge({ id: 'PC201' })`, as cdk-nag users
   * write it), which CDK records as `Annotation::PC201`: [the id as CDK recorded it, the reason]. The plugin
   * names such a finding by the recorded id, so CDK lists it as acknowledged, as the Python plugin does.
   */
  public bareAcknowledgment(ruleId: string, constructPath: string | undefined): [string, string] | undefined {
    for (const recorded of [`Annotation::${ruleId}`, ruleId]) {
      const reason = acknowledgment(this.acknowledged, ruleId, constructPath, recorded);
      if (reason !== undefined) return [recorded, reason];
    }
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readJson(file: string): Json | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `rel` inside `base`, else an AssemblyError (the same guard as podcap's reader). */
function inside(base: string, rel: unknown, what: string): string {
  if (typeof rel !== 'string' || rel === '') {
    throw new AssemblyError(`${path.join(base, 'manifest.json')}: ${what} is not a file name`);
  }
  const root = realpath(base);
  const full = realpath(path.join(base, rel));
  if (path.isAbsolute(rel) || (full !== root && !full.startsWith(root + path.sep))) {
    throw new AssemblyError(`${path.join(base, 'manifest.json')}: ${what} ${JSON.stringify(rel)} is outside the assembly folder`);
  }
  return full;
}

/** `fs.realpathSync`, or the absolute path when it does not exist (as Python's `os.path.realpath`). */
export function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** A stack artifact's construct metadata: the manifest's `metadata` plus its `additionalMetadataFile`. */
export function stackMetadata(directory: string, artifact: Record<string, Json>): Record<string, Json> {
  const metadata: Record<string, Json> = isObject(artifact.metadata) ? { ...artifact.metadata } : {};
  if (artifact.additionalMetadataFile !== undefined && artifact.additionalMetadataFile !== null) {
    const file = inside(directory, artifact.additionalMetadataFile, 'additionalMetadataFile');
    const extra = readJson(file);
    if (!isObject(extra)) {
      throw new AssemblyError(`${file}: stack metadata is not an object`);
    }
    Object.assign(metadata, extra);
  }
  return metadata;
}

function owningTemplate(cpath: string, templates: Map<string, string>): string | undefined {
  let best: string | undefined;
  let bestLen = -1;
  for (const [spath, tpl] of templates) {
    if ((cpath === spath || cpath.startsWith(spath + '/')) && spath.length > bestLen) {
      best = tpl;
      bestLen = spath.length;
    }
  }
  return best;
}

/**
 * One stack's metadata into `constructPaths` (template file name -> logical id -> construct path) and
 * `acknowledged` (qualified rule id -> construct path -> reason). A stack's metadata covers its nested
 * stacks too: a resource belongs to the template of the innermost stack above it.
 */
export function indexStackMetadata(metadata: Record<string, Json>, constructPaths: Map<string, Map<string, string>>,
  acknowledged: Map<string, Map<string, string>>, defaultTemplate?: string): void {
  const templates = new Map<string, string>();
  for (const [cpath, entries] of Object.entries(metadata)) {
    for (const e of Array.isArray(entries) ? entries : []) {
      if (isObject(e) && e.type === TEMPLATE_FILE_METADATA && typeof e.data === 'string') {
        templates.set(stripSlashes(cpath), e.data);
      }
    }
  }
  for (const [cpath, entries] of Object.entries(metadata)) {
    const p = stripSlashes(cpath);
    for (const e of Array.isArray(entries) ? entries : []) {
      if (!isObject(e)) continue;
      if (e.type === LOGICAL_ID_METADATA && typeof e.data === 'string') {
        const owner = templates.size > 0 ? owningTemplate(p, templates) : defaultTemplate;
        if (owner) {
          const byLid = getOrSet(constructPaths, owner, () => new Map<string, string>());
          if (!byLid.has(e.data)) byLid.set(e.data, p);
        }
      } else if (e.type === ACK_METADATA && isObject(e.data)) {
        for (const [rule, reason] of Object.entries(e.data)) {
          getOrSet(acknowledged, String(rule), () => new Map<string, string>()).set(p, String(reason));
        }
      }
    }
  }
}

/**
 * The reason of the closest CDK acknowledgment of `podcap::<ruleId>` at or above `constructPath` (the
 * resource itself, then each parent up to the app), as CDK matches acknowledgments.
 */
export function acknowledgment(acknowledged: Map<string, Map<string, string>>, ruleId: string,
  constructPath: string | undefined, qualifiedId = `${ACK_NAMESPACE}::${ruleId}`): string | undefined {
  const paths = acknowledged.get(qualifiedId);
  if (!paths || !constructPath) return undefined;
  let p = stripSlashes(constructPath);
  for (;;) {
    const reason = paths.get(p);
    if (reason !== undefined) return reason;
    if (!p) return undefined;
    p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
  }
}

/** Read `manifest.json` (and nested cloud assemblies) of a cdk.out folder into the index. */
export function indexAssembly(directory: string, index: AssemblyIndex = new AssemblyIndex(), depth = 0): AssemblyIndex {
  const manifest = readJson(path.join(directory, 'manifest.json'));
  if (!isObject(manifest) || depth > MAX_DEPTH) return index;
  const artifacts = isObject(manifest.artifacts) ? manifest.artifacts : {};
  for (const art of Object.values(artifacts)) {
    if (!isObject(art)) continue;
    const props = isObject(art.properties) ? art.properties : {};
    if (art.type === NESTED_ASSEMBLY_TYPE && typeof props.directoryName === 'string') {
      indexAssembly(path.join(directory, props.directoryName), index, depth + 1);
      continue;
    }
    if (art.type !== STACK_TYPE || typeof props.templateFile !== 'string') continue;
    const template = path.join(directory, props.templateFile);
    index.templates.push(template);
    let metadata: Record<string, Json>;
    try {
      metadata = stackMetadata(directory, art);
    } catch (e) {
      if (!(e instanceof AssemblyError)) throw e;
      metadata = isObject(art.metadata) ? art.metadata : {};
    }
    indexStackMetadata(metadata, index.constructPaths, index.acknowledged, path.basename(template));
    indexNested(template, index, 0);
  }
  return index;
}

/** S3 object key -> file in the assembly, from the asset manifests of a folder. */
function assetSources(directory: string): Map<string, string> {
  const out = new Map<string, string>();
  const manifest = readJson(path.join(directory, 'manifest.json'));
  const artifacts = isObject(manifest) && isObject(manifest.artifacts) ? manifest.artifacts : {};
  for (const art of Object.values(artifacts)) {
    if (!isObject(art) || art.type !== ASSET_MANIFEST_TYPE) continue;
    const file = isObject(art.properties) ? art.properties.file : undefined;
    const doc = typeof file === 'string' ? readJson(path.join(directory, file)) : undefined;
    const files = isObject(doc) && isObject(doc.files) ? doc.files : {};
    for (const asset of Object.values(files)) {
      if (!isObject(asset)) continue;
      const src = isObject(asset.source) ? asset.source.path : undefined;
      const dests = isObject(asset.destinations) ? asset.destinations : {};
      for (const dest of Object.values(dests)) {
        const key = isObject(dest) ? dest.objectKey : undefined;
        if (typeof src === 'string' && typeof key === 'string') out.set(key, src);
      }
    }
  }
  return out;
}

function* strings(value: Json): Generator<string> {
  if (typeof value === 'string') {
    yield value;
  } else if (Array.isArray(value)) {
    for (const v of value) yield* strings(v);
  } else if (isObject(value)) {
    for (const v of Object.values(value)) yield* strings(v);
  }
}

/**
 * (logical id, nested template, has `aws:asset:path`) of a template's nested stacks. Without asset
 * metadata (an in-process synth: the CLI turns it on) the template is found through the asset manifest,
 * by the S3 object key in `TemplateURL`.
 */
function nestedStacks(template: string, assets: Map<string, string>): Array<[string, string, boolean]> {
  const doc = readJson(template);
  const out: Array<[string, string, boolean]> = [];
  const base = path.dirname(template);
  const resources = isObject(doc) && isObject(doc.Resources) ? doc.Resources : {};
  for (const [lid, res] of Object.entries(resources)) {
    if (!isObject(res) || res.Type !== 'AWS::CloudFormation::Stack') continue;
    const meta = isObject(res.Metadata) ? res.Metadata : {};
    const rel = meta['aws:asset:path'];
    if (typeof rel === 'string' && isFile(path.join(base, rel))) {
      out.push([lid, path.join(base, rel), true]);
      continue;
    }
    const url = isObject(res.Properties) ? res.Properties.TemplateURL : undefined;
    for (const text of strings(url)) {
      const m = ASSET_KEY.exec(text);
      const src = m ? assets.get(m[1]) : undefined;
      if (src !== undefined && isFile(path.join(base, src))) {
        out.push([lid, path.join(base, src), false]);
        break;
      }
    }
  }
  return out;
}

function indexNested(template: string, index: AssemblyIndex, depth: number, assets?: Map<string, string>): void {
  if (depth > MAX_DEPTH) return;
  const sources = assets ?? assetSources(path.dirname(template));
  for (const [lid, file, hasMeta] of nestedStacks(template, sources)) {
    if (index.nestedTemplates.includes(file)) continue;
    index.nestedTemplates.push(file);
    if (!hasMeta) {
      getOrSet(index.unlinkedNested, template, () => new Map<string, string>()).set(lid, path.basename(file));
    }
    indexNested(file, index, depth + 1, sources);
  }
}

/** The (real) paths of the templates of every stack of a cloud assembly, nested assemblies included. */
export function assemblyTemplates(directory: string): string[] {
  const out: string[] = [];
  collectTemplates(directory, out, 0, new Set<string>());
  return out;
}

function collectTemplates(directory: string, out: string[], depth: number, seen: Set<string>): void {
  const real = realpath(directory);
  if (seen.has(real)) return;
  seen.add(real);
  if (depth > MAX_DEPTH) {
    throw new AssemblyError(`${directory}: cloud assemblies nested more than ${MAX_DEPTH} deep`);
  }
  const manifestPath = path.join(directory, 'manifest.json');
  const manifest = readJson(manifestPath);
  if (!isObject(manifest)) throw new AssemblyError(`${manifestPath}: not a cloud assembly manifest`);
  const artifacts = manifest.artifacts ?? {};
  if (!isObject(artifacts)) throw new AssemblyError(`${manifestPath}: 'artifacts' is not an object`);
  for (const [aid, art] of Object.entries(artifacts)) {
    if (!isObject(art)) continue;
    const props = isObject(art.properties) ? art.properties : {};
    if (art.type === STACK_TYPE) {
      const template = inside(directory, props.templateFile, `artifact ${aid} templateFile`);
      if (!isFile(template)) throw new AssemblyError(`${manifestPath}: artifact ${aid}: template is missing`);
      out.push(template);
    } else if (art.type === NESTED_ASSEMBLY_TYPE) {
      const sub = inside(directory, props.directoryName, `artifact ${aid} directoryName`);
      if (!isFile(path.join(sub, 'manifest.json'))) {
        throw new AssemblyError(`${manifestPath}: nested assembly ${aid}: ${sub} has no manifest.json`);
      }
      collectTemplates(sub, out, depth + 1, seen);
    }
  }
}

/**
 * The paths to give `podcap check` for these templates, as the Python plugin checks them: the outermost
 * cloud assembly when the templates lie in several of its folders (an app with stages) and are exactly
 * its stacks; else the folder when they share one that holds a `manifest.json`; else the templates.
 */
export function checkTargets(templates: string[]): string[] {
  const root = assemblyRoot(templates);
  if (root !== undefined) return [root];
  const dirs = unique(templates.map((t) => path.dirname(realpath(t))));
  if (dirs.length === 1 && isFile(path.join(dirs[0], 'manifest.json'))) return [dirs[0]];
  return templates;
}

function assemblyRoot(templates: string[]): string | undefined {
  const dirs = unique(templates.map((t) => path.dirname(path.resolve(t)))).sort();
  if (dirs.length < 2) return undefined;
  const root = commonPath(dirs);
  if (!isFile(path.join(root, 'manifest.json'))) return undefined;
  let covered: Set<string>;
  try {
    covered = new Set(assemblyTemplates(root));
  } catch (e) {
    if (e instanceof AssemblyError) return undefined;
    throw e;
  }
  const wanted = new Set(templates.map(realpath));
  if (covered.size !== wanted.size) return undefined;
  for (const t of wanted) if (!covered.has(t)) return undefined;
  return root;
}

function commonPath(paths: string[]): string {
  const split = paths.map((p) => p.split(path.sep));
  const first = split[0];
  let n = 0;
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join(path.sep) || path.sep;
}

/**
 * Copy the assemblies' JSON files to `workdir` and add `aws:asset:path` to the nested stacks that lack it,
 * so podcap reads them as it reads a CLI-synthesized cdk.out. The assembly itself stays untouched
 * (plugins must not modify it). Returns original folder -> copy.
 */
export function linkedCopy(index: AssemblyIndex, workdir: string): Map<string, string> {
  const dirs = unique([...index.templates, ...index.nestedTemplates].map((t) => path.dirname(t))).sort();
  const roots: string[] = [];
  for (const d of dirs) {
    if (!roots.some((r) => d.startsWith(r + path.sep))) roots.push(d);
  }
  const mapping = new Map<string, string>();
  roots.forEach((root, i) => {
    const dest = path.join(workdir, `a${i}`, path.basename(root));
    copyJsonTree(root, dest);
    mapping.set(root, dest);
  });
  for (const [template, links] of index.unlinkedNested) {
    const copy = relocate(template, mapping);
    const doc = readJson(copy);
    for (const [lid, rel] of links) {
      const res = doc.Resources[lid];
      res.Metadata = { ...(isObject(res.Metadata) ? res.Metadata : {}), 'aws:asset:path': rel };
    }
    fs.writeFileSync(copy, JSON.stringify(doc, undefined, 1), 'utf-8');
  }
  return mapping;
}

/** Templates, manifests and metadata only: no asset folders, no bundles. */
function copyJsonTree(src: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (entry.name.startsWith('asset.')) continue;
    const from = path.join(src, entry.name);
    if (entry.isDirectory()) {
      copyJsonTree(from, path.join(dest, entry.name));
    } else if (entry.name.endsWith('.json')) {
      fs.copyFileSync(from, path.join(dest, entry.name));
    }
  }
}

/** A path under one of the mapping's folders, moved to the other side of the mapping. */
export function relocate(p: string, mapping: Map<string, string>, reverse = false): string {
  for (const [src, dst] of mapping) {
    const [a, b] = reverse ? [dst, src] : [src, dst];
    if (p === a || p.startsWith(a + path.sep)) return b + p.slice(a.length);
  }
  return p;
}

function stripSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function getOrSet<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}
