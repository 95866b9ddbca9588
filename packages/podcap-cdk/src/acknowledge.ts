/**
 * Waivers of podcap rules in a CDK app, the same two records podcap's Python helper
 * (`podcap.cdk.validation.acknowledge`) writes, so `cdk synth` and `podcap check cdk.out` agree:
 *
 * 1. CDK's own acknowledgment, `Validations.of(scope).acknowledge({ id: 'podcap::PC201', reason })`: CDK
 *    applies it to this plugin's violations at and below the scope, lists them as acknowledged and records
 *    `aws:cdk:acknowledged-rules` in the stack's metadata (which `podcap check cdk.out` reads);
 * 2. `{"podcap": {"suppress": [{"id", "reason", "expires"?}]}}` in the template Metadata of every
 *    podcap-relevant resource under the scope, which carries the expiry date CDK's acknowledgment has not.
 */
import { Aspects, CfnResource, IAspect, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ACK_NAMESPACE } from './assembly';

const RULE_ID = /^PC\d{3}$/;
/** A waiver's reason needs this many characters (as podcap's config and Python helper require). */
export const MIN_REASON = 10;

/** The resource types podcap's findings are about: a waiver lands in the Metadata of these. */
export const PODCAP_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'AWS::EC2::VPC',
  'AWS::EC2::VPCCidrBlock',
  'AWS::EC2::Subnet',
  'AWS::EC2::SubnetCidrBlock',
  'AWS::EC2::SubnetCidrReservation',
  'AWS::EC2::LaunchTemplate',
  'AWS::EKS::Cluster',
  'AWS::EKS::Addon',
  'AWS::EKS::Nodegroup',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::AutoScaling::LaunchConfiguration',
]);

/** One podcap waiver, as written into `Metadata.podcap.suppress`. */
export interface PodcapWaiver {
  readonly id: string;
  readonly reason: string;
  readonly expires?: string;
}

/** Options of {@link acknowledge}. */
export interface AcknowledgeOptions {
  /** `YYYY-MM-DD`: after that day the waiver no longer applies. @default - no expiry */
  readonly expires?: string;
  /** The day to compare `expires` with. @default - today (local time) */
  readonly today?: Date;
}

/**
 * Merge keys into a CfnResource's `Metadata.podcap` (`pods_per_node`, `suppress` …); `suppress` entries
 * are appended to those already there.
 */
export function setPodcapMetadata(resource: CfnResource, values: Record<string, unknown>): void {
  const current = resource.getMetadata('podcap');
  const merged: Record<string, unknown> = current && typeof current === 'object' && !Array.isArray(current)
    ? { ...current } : {};
  for (const [k, v] of Object.entries(values)) {
    if (k === 'suppress') {
      const before = Array.isArray(merged.suppress) ? merged.suppress : [];
      merged.suppress = [...before, ...(v as unknown[])];
    } else {
      merged[k] = v;
    }
  }
  resource.addMetadata('podcap', merged);
}

class WaiverAspect implements IAspect {
  constructor(private readonly entry: PodcapWaiver) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node) && PODCAP_RESOURCE_TYPES.has(node.cfnResourceType)) {
      setPodcapMetadata(node, { suppress: [{ ...this.entry }] });
    }
  }
}

function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function parseDay(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1
    || d.getUTCDate() !== Number(m[3])) {
    throw new Error(`expires ${JSON.stringify(text)} is not a date YYYY-MM-DD`);
  }
  return text;
}

/**
 * Waive a podcap rule for every resource under `scope` (a resource, a construct, a stack).
 *
 * `ruleId` is podcap's id (`PC201`; `podcap::PC201` is accepted too). Records CDK's acknowledgment
 * `podcap::PC201` and the `podcap.suppress` template Metadata. With `expires`, the CDK acknowledgment
 * (which has no date) is only recorded while the day has not passed; afterwards podcap reports the
 * finding again, with "suppression expired".
 */
export function acknowledge(scope: IConstruct, ruleId: string, reason: string, options: AcknowledgeOptions = {}): void {
  const prefix = `${ACK_NAMESPACE}::`;
  const rule = typeof ruleId === 'string' && ruleId.startsWith(prefix) ? ruleId.slice(prefix.length) : ruleId;
  if (typeof rule !== 'string' || !RULE_ID.test(rule)) {
    throw new Error(`${JSON.stringify(ruleId)} is not a podcap rule id such as PC201`);
  }
  if (typeof reason !== 'string' || reason.trim().length < MIN_REASON) {
    throw new Error(`acknowledging ${rule} needs a reason of at least ${MIN_REASON} characters`);
  }
  const entry: { id: string; reason: string; expires?: string } = { id: rule, reason: reason.trim() };
  let current = true;
  if (options.expires !== undefined) {
    entry.expires = parseDay(String(options.expires));
    current = isoDay(options.today ?? new Date()) <= entry.expires;
  }
  if (current) {
    Validations.of(scope).acknowledge({ id: `${prefix}${rule}`, reason: entry.reason });
  }
  Aspects.of(scope).add(new WaiverAspect(entry));
}

/** Waivers of podcap rules, for every jsii language (`PodcapWaivers.acknowledge(...)`). */
export class PodcapWaivers {
  /** {@link acknowledge}: waive a podcap rule for every resource under `scope`. */
  public static acknowledge(scope: IConstruct, ruleId: string, reason: string, options: AcknowledgeOptions = {}): void {
    acknowledge(scope, ruleId, reason, options);
  }

  private constructor() {}
}
