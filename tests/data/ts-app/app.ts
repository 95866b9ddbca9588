/**
 * podcap's reference cluster as a TypeScript CDK app: the same CloudFormation app.py builds (the same
 * construct tree, hence the same logical ids and construct paths), made of aws-cdk-lib's L1 constructs
 * as infra/ makes it, from the same spec files (examples/*.yaml), checked during `cdk synth` by
 * podcap-cdk's PodcapValidator.
 *
 *     npx tsc -p . && npx cdk synth --no-notices                                  # examples/reference.yaml
 *     npx cdk synth --no-notices -c spec=../../../examples/undersized.yaml         # fails: PC201
 *
 * It builds the part of the spec format those examples use (a VPC with one CIDR, subnets by CIDR and AZ,
 * vpc-cni env, managed node groups, suppressions) and refuses the rest with one line (exit 2) rather than
 * build something else.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Aws, Fn, Stack, StackProps, Tags, Validations } from 'aws-cdk-lib';
import { aws_ec2 as ec2, aws_eks as eks, aws_iam as iam } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { parse } from 'yaml';
import { acknowledge, PodcapValidator, setPodcapMetadata } from 'podcap-cdk';

const HERE = __dirname.endsWith(`${path.sep}build`) ? path.dirname(__dirname) : __dirname;
const DEFAULT_SPEC = path.resolve(HERE, '..', '..', '..', 'examples', 'reference.yaml');
const FIXED_AZ_RULE = 'CloudFormation-Validate::W3010'; // "Avoid hardcoding availability zones"
const DEFAULT_AMI_TYPE = 'AL2023_x86_64_STANDARD';
// The typed aws-node settings, in the order infra/cni.py's CniSettings renders them.
const TYPED_ENV = ['WARM_ENI_TARGET', 'WARM_IP_TARGET', 'MINIMUM_IP_TARGET', 'WARM_PREFIX_TARGET',
  'ENABLE_PREFIX_DELEGATION', 'MAX_ENI', 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'ENABLE_POD_ENI'];
const BOOLEAN_ENV = new Set(['ENABLE_PREFIX_DELEGATION', 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'ENABLE_POD_ENI']);

class SpecError extends Error {}

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function only(obj: Doc, keys: string[], where: string): void {
  for (const k of Object.keys(obj ?? {})) {
    if (!keys.includes(k)) throw new SpecError(`${where}.${k} is not built by this app`);
  }
}

/** Python's str.title() without the non-alphanumerics: `nodes-a` -> `NodesA` (infra's construct ids). */
function idFrom(name: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of name) {
    const cased = ch.toLowerCase() !== ch.toUpperCase();
    out += cased ? (prevCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevCased = cased;
  }
  return out.replace(/[^A-Za-z0-9]/g, '');
}

function envString(v: unknown): string {
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

/** A spec's `cluster.cni.env` as infra/cni.py renders it: typed settings in order, then the rest raw. */
function cniEnv(raw: Doc): { env: Record<string, string>; needsMaxPods: boolean; podEni: boolean } {
  const typed: Record<string, string> = {};
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const text = envString(v);
    let ok = false;
    if (BOOLEAN_ENV.has(k)) ok = text === 'true' || text === 'false';
    else if (TYPED_ENV.includes(k)) ok = /^[0-9]+$/.test(text) && !(k === 'MAX_ENI' && Number(text) < 1);
    if (ok) typed[k] = String(/^[0-9]+$/.test(text) ? Number(text) : text);
    else extra[k] = text;
  }
  if (typed.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG === 'true') {
    throw new SpecError('cluster.cni.env: custom networking is not built by this app');
  }
  delete typed.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG;
  const env: Record<string, string> = {};
  for (const k of TYPED_ENV) if (k in typed) env[k] = typed[k];
  Object.assign(env, extra);
  const podEni = env.ENABLE_POD_ENI === 'true';
  const needsMaxPods = env.ENABLE_PREFIX_DELEGATION === 'true' || podEni || 'MAX_ENI' in typed;
  return { env, needsMaxPods, podEni };
}

/** Kubelet max-pods user data for a managed node group (infra/cluster.py's max_pods_user_data). */
function maxPodsUserData(amiType: string, maxPods: number): string {
  if (amiType.startsWith('AL2023')) {
    return ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="PODCAP"', '', '--PODCAP',
      'Content-Type: application/node.eks.aws', '', '---', 'apiVersion: node.eks.aws/v1alpha1', 'kind: NodeConfig',
      'spec:', '  kubelet:', '    config:', `      maxPods: ${maxPods}`, '', '--PODCAP--', ''].join('\n');
  }
  if (amiType.startsWith('BOTTLEROCKET')) return `[settings.kubernetes]\nmax-pods = ${maxPods}\n`;
  throw new SpecError(`kubelet max-pods on AMI type ${amiType} is not supported`);
}

const managed = (name: string) => `arn:${Aws.PARTITION}:iam::aws:policy/${name}`;
const assume = (service: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
});

/** The network and cluster of one spec: the constructs infra/from_spec.py makes (Network, Cluster). */
class SpecStack extends Stack {
  constructor(scope: Construct, id: string, spec: Doc, props: StackProps) {
    super(scope, id, props);
    only(spec, ['version', 'name', 'description', 'vpc', 'subnets', 'cluster', 'nodegroups', 'suppressions'], 'spec');
    only(spec.vpc, ['cidr'], 'vpc');
    const name = String(spec.name);

    const network = new Construct(this, 'Network');
    const vpc = new ec2.CfnVPC(network, 'Vpc', { cidrBlock: spec.vpc.cidr, enableDnsHostnames: true, enableDnsSupport: true });
    Tags.of(vpc).add('Name', name);
    const subnets = new Map<string, ec2.CfnSubnet>();
    for (const s of spec.subnets as Doc[]) {
      only(s, ['name', 'az', 'cidr', 'role'], `subnets.${s.name}`);
      if ((s.role ?? 'both') === 'pods') throw new SpecError(`subnets.${s.name}: pod subnets are not built by this app`);
      const abstract = /^az-(\d+)$/.exec(String(s.az));
      const cid = `Subnet${idFrom(String(s.name))}`;
      if (network.node.tryFindChild(cid)) throw new SpecError(`subnets.${s.name}: construct id ${cid} used twice`);
      const sub = new ec2.CfnSubnet(network, cid, {
        vpcId: vpc.ref,
        cidrBlock: s.cidr,
        availabilityZone: abstract ? Fn.select(Number(abstract[1]), Fn.getAzs()) : s.az,
      });
      Tags.of(sub).add('Name', `${name}-${s.name}`, { includeResourceTypes: ['AWS::EC2::Subnet'] });
      if (!abstract) {
        Validations.of(sub).acknowledge({
          id: FIXED_AZ_RULE,
          reason: 'podcap pins each subnet to a named AZ: ENIConfigs and the AZ-loss check are per AZ name '
            + '(use az-N for region-agnostic AZs)',
        });
      }
      subnets.set(String(s.name), sub);
    }
    const subnetIds = (names: string[]) => names.map((n) => {
      const sub = subnets.get(n);
      if (!sub) throw new SpecError(`no subnet named ${n}`);
      return sub.ref;
    });

    const cl: Doc = spec.cluster ?? {};
    only(cl, ['subnets', 'ip_family', 'cni'], 'cluster');
    only(cl.cni, ['env'], 'cluster.cni');
    if ((cl.ip_family ?? 'ipv4') !== 'ipv4') throw new SpecError('cluster.ip_family: only ipv4 is built by this app');
    const cni = cniEnv(cl.cni?.env);
    const group = new Construct(this, 'Cluster');
    const clusterRole = new iam.CfnRole(group, 'ClusterRole', {
      assumeRolePolicyDocument: assume('eks.amazonaws.com'),
      managedPolicyArns: [managed('AmazonEKSClusterPolicy'), ...(cni.podEni ? [managed('AmazonEKSVPCResourceController')] : [])],
    });
    const cpSubnets: string[] = cl.subnets ?? (spec.subnets as Doc[]).map((s) => String(s.name));
    const cluster = new eks.CfnCluster(group, 'Cluster', {
      name,
      roleArn: clusterRole.attrArn,
      resourcesVpcConfig: { subnetIds: subnetIds(cpSubnets), endpointPrivateAccess: true, endpointPublicAccess: true },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      kubernetesNetworkConfig: { ipFamily: 'ipv4' },
    });
    const addon = new eks.CfnAddon(group, 'VpcCni', {
      addonName: 'vpc-cni',
      clusterName: cluster.ref,
      resolveConflicts: 'OVERWRITE',
      configurationValues: Object.keys(cni.env).length ? Stack.of(this).toJsonString({ env: cni.env }) : undefined,
    });
    const nodeRole = new iam.CfnRole(group, 'NodeRole', {
      assumeRolePolicyDocument: assume('ec2.amazonaws.com'),
      managedPolicyArns: [managed('AmazonEKSWorkerNodePolicy'), managed('AmazonEC2ContainerRegistryReadOnly'),
        managed('AmazonEKS_CNI_Policy')],
    });
    const nodegroups = new Map<string, eks.CfnNodegroup>();
    for (const ng of spec.nodegroups as Doc[]) {
      only(ng, ['name', 'instance_types', 'subnets', 'min', 'desired', 'max', 'update', 'kubelet_max_pods', 'ami_type',
        'capacity_type', 'pods_per_node', 'sgp_pods_per_node'], `nodegroups.${ng.name}`);
      const cid = idFrom(String(ng.name)) || 'Group';
      if (group.node.tryFindChild(`${cid}NodeGroup`)) throw new SpecError(`nodegroups.${ng.name}: construct id used twice`);
      const amiType = String(ng.ami_type ?? DEFAULT_AMI_TYPE);
      if (ng.kubelet_max_pods === undefined && cni.needsMaxPods) {
        throw new SpecError(`nodegroups.${ng.name}: give kubelet_max_pods (this app does not compute AWS's recommended value)`);
      }
      let launchTemplate: eks.CfnNodegroup.LaunchTemplateSpecificationProperty | undefined;
      if (ng.kubelet_max_pods !== undefined) {
        const lt = new ec2.CfnLaunchTemplate(group, `${cid}LaunchTemplate`, {
          launchTemplateData: { userData: Fn.base64(maxPodsUserData(amiType, Number(ng.kubelet_max_pods))) },
        });
        launchTemplate = { id: lt.ref, version: lt.attrLatestVersionNumber };
      }
      const upd: Doc | undefined = ng.update;
      const node = new eks.CfnNodegroup(group, `${cid}NodeGroup`, {
        clusterName: cluster.ref,
        nodegroupName: String(ng.name),
        nodeRole: nodeRole.attrArn,
        subnets: subnetIds(ng.subnets),
        amiType,
        capacityType: ng.capacity_type,
        instanceTypes: ng.instance_types,
        scalingConfig: { minSize: ng.min, desiredSize: ng.desired ?? ng.min, maxSize: ng.max },
        updateConfig: upd && (upd.max_unavailable !== undefined || upd.max_unavailable_percentage !== undefined)
          ? { maxUnavailable: upd.max_unavailable, maxUnavailablePercentage: upd.max_unavailable_percentage }
          : undefined,
        launchTemplate,
      });
      node.addResourceDependency(addon); // the CNI is configured before the first node starts
      if (ng.pods_per_node !== undefined) setPodcapMetadata(node, { pods_per_node: Number(ng.pods_per_node) });
      if (ng.sgp_pods_per_node !== undefined) {
        setPodcapMetadata(node, { sgp_pods_per_node: Number(ng.sgp_pods_per_node) });
      }
      nodegroups.set(String(ng.name), node);
    }

    for (const s of (spec.suppressions ?? []) as Doc[]) {
      const r = String(s.resource);
      const target: IConstruct = r === '*' ? this : subnets.get(r) ?? nodegroups.get(r) ?? (r === name ? group : vpc);
      acknowledge(target, String(s.id), String(s.reason), s.expires !== undefined ? { expires: String(s.expires) } : {});
    }
  }
}

export function buildApp(): App {
  const app = new App();
  const specPath = path.resolve(String(app.node.tryGetContext('spec') ?? DEFAULT_SPEC));
  const spec = parse(fs.readFileSync(specPath, 'utf-8')) as Doc;
  const id = `podcap-${spec.name}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 128);
  new SpecStack(app, id, spec, { description: `podcap reference cluster from ${path.basename(specPath)}` });
  if (app.node.tryGetContext('podcap:enabled') !== false && app.node.tryGetContext('podcap:enabled') !== 'false') {
    Validations.of(app).addPlugins(new PodcapValidator({
      command: process.env.PODCAP_COMMAND ? JSON.parse(process.env.PODCAP_COMMAND) : undefined,
    }));
  }
  return app;
}

try {
  buildApp().synth();
} catch (e) {
  if (e instanceof SpecError) {
    process.stderr.write(`podcap: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
