/**
 * podcap as an aws-cdk-lib policy-validation plugin for CDK apps in TypeScript (and JavaScript): the
 * `podcap check` pipeline runs inside `cdk synth`, through the podcap CLI.
 *
 *     Validations.of(app).addPlugins(new PodcapValidator());
 *
 * After the templates are written CDK calls `validate(context)`; the plugin runs
 * `podcap check <cloud assembly or templates> --format json` and turns each finding into a violation
 * exactly as podcap's Python plugin (`podcap.cdk.validation.PodcapValidationPlugin`) does, so an app
 * gets the same verdict in either language (and `podcap check cdk.out` agrees with both).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ACK_NAMESPACE, AssemblyIndex, checkTargets, indexAssembly, linkedCopy, relocate } from './assembly';
import { commandArgv, runCheck, runRules } from './command';
import { buildReport, PodcapJsonReport, PodcapRule } from './report';

/** The plugin name: CDK qualifies this plugin's rule names with it (`podcap::PC201`). */
export const PLUGIN_NAME = ACK_NAMESPACE;
/** `-c podcap:live=true`: read referenced subnets and clusters from AWS. */
export const CONTEXT_LIVE = 'podcap:live';
/** `-c podcap:strict=true`: warnings fail the synth too. */
export const CONTEXT_STRICT = 'podcap:strict';
const DEFAULT_CONFIG = '.podcap.yaml';

/** Options of {@link PodcapValidator}. */
export interface PodcapValidatorProps {
  /**
   * Warnings fail the synth too (reported as errors).
   * @default - the `podcap:strict` context, else `strict: true` in the .podcap.yaml, else false
   */
  readonly strict?: boolean;
  /**
   * Read existing subnets and clusters the templates reference from AWS (`podcap check --live`, read-only;
   * needs credentials).
   * @default - the `podcap:live` context, else false
   */
  readonly live?: boolean;
  /**
   * AWS region for `live`.
   * @default - the stacks' region when all share a concrete one
   */
  readonly region?: string;
  /**
   * AWS profile for `live`.
   * @default - the default credential chain
   */
  readonly profile?: string;
  /**
   * The `.podcap.yaml` (suppressions, strict) to use.
   * @default - `.podcap.yaml` in the working directory, as for `podcap check`
   */
  readonly config?: string;
  /**
   * How to run podcap: a program (name on PATH or path), or a program with its first arguments
   * (`['python3', '-m', 'podcap']`, `['/opt/venv/bin/podcap']`).
   * @default 'podcap' on PATH
   */
  readonly command?: string | string[];
  /**
   * An instance-limits snapshot to use instead of the one podcap ships (`podcap --snapshot`).
   * @default - podcap's shipped snapshot
   */
  readonly snapshot?: string;
  /**
   * Also report info findings, which never fail.
   * @default false
   */
  readonly includeInfo?: boolean;
}

function packageVersion(): string {
  try {
    // lib/validator.js -> ../package.json, in the package as published and in a checkout alike
    return String(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf-8')).version);
  } catch {
    return '0.0.0';
  }
}

/** A context value as a boolean: true/false (boolean or string); undefined when absent. */
export function flag(value: unknown, key = 'value'): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off', ''].includes(text)) return false;
  throw new Error(`podcap: context ${key} ${JSON.stringify(value)} is not true or false`);
}

/** A true/false context value (`-c podcap:live=true`). */
export function contextFlag(scope: IConstruct, key: string, fallback = false): boolean {
  return flag(scope.node.tryGetContext(key), key) ?? fallback;
}

/**
 * `strict: true` at the top level of the .podcap.yaml podcap will read (used only when podcap's exit code
 * cannot tell: errors and warnings both present). podcap validates the file itself.
 */
function configStrict(config: string | undefined): boolean {
  let text: string;
  try {
    text = fs.readFileSync(config ?? DEFAULT_CONFIG, 'utf-8');
  } catch {
    return false;
  }
  const m = /^strict[ \t]*:[ \t]*([^#\r\n]*?)[ \t]*(?:#.*)?$/m.exec(text);
  return m !== null && ['true', 'True', 'TRUE'].includes(m[1].replace(/^(['"])(.*)\1$/, '$2'));
}

/**
 * Runs podcap's checks during synth (an aws-cdk-lib `IPolicyValidationPlugin`). Register it on the app (or
 * a Stage): `Validations.of(app).addPlugins(new PodcapValidator())`.
 */
export class PodcapValidator implements IPolicyValidationPlugin {
  public readonly name = PLUGIN_NAME;
  public readonly version?: string = packageVersion();
  /** The JSON report of the last run, for tests. @internal */
  public _lastReport?: PodcapJsonReport;

  private readonly props: PodcapValidatorProps;
  private readonly argv: string[];
  private rules?: Map<string, PodcapRule>;

  constructor(props: PodcapValidatorProps = {}) {
    this.props = { ...props };
    this.argv = commandArgv(props.command);
  }

  /** podcap's rule ids (`podcap rules`); undefined when podcap cannot be run. */
  public get ruleIds(): string[] | undefined {
    try {
      return [...this.ruleMap().keys()];
    } catch {
      return undefined;
    }
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = context.templatePaths.map(String);
    const app = context.appConstruct;
    const live = this.props.live ?? contextFlag(app, CONTEXT_LIVE);
    const explicitStrict = this.props.strict ?? flag(app.node.tryGetContext(CONTEXT_STRICT), CONTEXT_STRICT);
    const region = this.props.region ?? contextRegion(context);
    const args: string[] = [];
    if (this.props.config !== undefined) args.push('--config', this.props.config);
    if (explicitStrict) args.push('--strict');
    if (live) args.push('--live');
    if (region !== undefined) args.push('--region', region);
    if (this.props.profile !== undefined) args.push('--profile', this.props.profile);

    const index = new AssemblyIndex();
    for (const d of [...new Set(templates.map((t) => path.dirname(path.resolve(t))))].sort()) {
      indexAssembly(d, index);
    }
    const { report, status } = this.check(templates, index, args);
    this._lastReport = report;
    let strict = explicitStrict ?? false;
    if (this.props.strict === undefined && !strict) {
      // `strict: true` in the .podcap.yaml: podcap's exit code says so unless errors fail it anyway
      const errors = Number(report.summary.error ?? 0);
      const warnings = Number(report.summary.warning ?? 0);
      strict = errors === 0 ? status !== 0 && warnings > 0 : configStrict(this.props.config);
    }
    const reported = report.findings.some((f) => f.severity !== 'info' || this.props.includeInfo);
    return buildReport(report, index, {
      strict,
      includeInfo: this.props.includeInfo,
      templates,
      rules: reported ? this.ruleMap() : undefined,
      pluginVersion: this.version,
    });
  }

  /**
   * `podcap check` over the templates (the assembly they belong to, see `checkTargets`); when nested
   * stacks cannot be linked to their templates from the template alone, over a linked copy of the
   * assembly's JSON files (paths in the report point at the original).
   */
  private check(templates: string[], index: AssemblyIndex, args: string[]): { report: PodcapJsonReport; status: number } {
    const pre = this.props.snapshot !== undefined ? ['--snapshot', this.props.snapshot] : [];
    const run = (targets: string[]) => runCheck(this.argv, [...pre, 'check', ...targets, '--format', 'json', ...args]);
    if (index.unlinkedNested.size === 0) return run(checkTargets(templates));
    const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'podcap-cdk-')));
    try {
      const mapping = linkedCopy(index, work);
      const copies = templates.map((t) => relocate(path.resolve(t), mapping));
      const { report, status } = run(checkTargets(copies));
      const back = (p: string) => relocate(p, mapping, true);
      return {
        status,
        report: {
          ...report,
          inputs: report.inputs.map(back),
          findings: report.findings.map((f) => (f.file ? { ...f, file: back(f.file) } : f)),
        },
      };
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  private ruleMap(): Map<string, PodcapRule> {
    if (this.rules === undefined) this.rules = runRules(this.argv);
    return this.rules;
  }
}

function contextRegion(context: IPolicyValidationContext): string | undefined {
  try {
    return context.region ?? undefined; // only when every stack has the same, concrete region
  } catch {
    return undefined;
  }
}
