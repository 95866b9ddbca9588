/**
 * podcap's JSON report (`podcap check --format json`, docs/report-json.md) -> a CDK plugin report, with
 * the verdicts of podcap's Python plugin (`podcap.cdk.validation.build_report`): the same violations,
 * severities, logical ids, construct paths, messages, fixes and rule metadata.
 */
import type { PolicyValidationPluginReport, PolicyViolatingResource, PolicyViolation } from 'aws-cdk-lib';
import type { AssemblyIndex } from './assembly';

/** One finding of the JSON report (the keys this plugin reads). */
export interface PodcapFinding {
  readonly rule_id: string;
  readonly severity: string;
  readonly title: string;
  readonly message: string;
  readonly resource: string;
  readonly resource_type?: string;
  readonly file?: string;
  readonly path?: string;
  readonly construct_path?: string | null;
  readonly fix?: string | null;
  readonly suppressed?: { readonly reason?: string } | null;
}

/** The JSON report of `podcap check --format json` (the keys this plugin reads). */
export interface PodcapJsonReport {
  readonly version: number;
  readonly tool?: { readonly name?: string; readonly version?: string };
  readonly inputs: string[];
  readonly summary: Record<string, unknown>;
  readonly findings: PodcapFinding[];
}

const COUNT_KEYS = ['error', 'warning', 'info', 'suppressed'];

/** One rule of `podcap rules --format json`. */
export interface PodcapRule {
  readonly id: string;
  readonly help_uri?: string | null;
}

export interface BuildReportOptions {
  /** Warnings are reported as errors (and fail). */
  readonly strict?: boolean;
  /** Also report info findings, which never fail. */
  readonly includeInfo?: boolean;
  /** The templates CDK passed: a finding not located in a template file is reported against the first. */
  readonly templates?: string[];
  /** The rules (for their docs links), by id. */
  readonly rules?: Map<string, PodcapRule>;
  /** The report's plugin version. */
  readonly pluginVersion?: string;
}

/** The logical id of a finding's resource: from `Resources/<LogicalId>`, else the resource id's last part. */
export function logicalId(resource: string, where: string): string {
  if (where.startsWith('Resources/')) return where.split('/')[1];
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/**
 * podcap findings -> a CDK plugin report. A finding podcap itself suppressed is left out, unless a CDK
 * acknowledgment covers it too: then CDK moves it to the report's acknowledged list. `strict` reports
 * warnings as errors.
 */
export function buildReport(report: PodcapJsonReport, index: AssemblyIndex, options: BuildReportOptions = {}
): PolicyValidationPluginReport {
  const violations: PolicyViolation[] = [];
  let failing = false;
  let leftOut = 0;
  const fallbackTemplate = options.templates?.[0];
  for (const f of report.findings) {
    let severity = f.severity;
    if (severity === 'info' && !options.includeInfo) continue;
    if (options.strict && severity === 'warning') severity = 'error';
    const template = f.file && f.file.endsWith('.json') ? f.file : fallbackTemplate;
    const lid = logicalId(f.resource, f.path ?? '');
    const cpath = f.construct_path || (template ? index.constructPath(template, lid) : undefined);
    let acked = index.acknowledgment(f.rule_id, cpath);
    let ruleName = f.rule_id;
    if (acked === undefined) {
      const bare = index.bareAcknowledgment(f.rule_id, cpath);
      if (bare !== undefined) [ruleName, acked] = bare;
    }
    if (f.suppressed && acked === undefined) {
      leftOut += 1;
      continue;
    }
    if (severity === 'error' && acked === undefined) failing = true;
    const meta: Record<string, string> = { 'resource': f.resource, 'podcap severity': f.severity };
    if (f.resource_type) meta['resource type'] = f.resource_type;
    if (cpath) meta['construct path'] = cpath;
    const docs = options.rules?.get(f.rule_id)?.help_uri;
    if (docs) meta.docs = docs;
    if (f.suppressed) meta['podcap suppression'] = String(f.suppressed.reason ?? '');
    const where: PolicyViolatingResource = template && lid
      ? { resourceLogicalId: lid, templatePath: template, locations: [] }
      : { constructPath: cpath || '/', locations: [] };
    violations.push({
      ruleName,
      description: `${f.title}: ${f.message}`,
      ...(f.fix ? { fix: f.fix } : {}),
      severity,
      ruleMetadata: meta,
      violatingResources: [where],
    });
  }
  // the finding counts of the summary (podcap's CheckResult.counts(); other summary keys are not counts)
  const metadata: Record<string, string> = {};
  for (const k of COUNT_KEYS) metadata[k] = String(report.summary[k] ?? 0);
  metadata.inputs = report.inputs.join(', ');
  if (leftOut) metadata['suppressed by podcap'] = String(leftOut);
  return {
    success: !failing,
    violations,
    metadata,
    ...(options.pluginVersion ? { pluginVersion: options.pluginVersion } : {}),
  };
}
