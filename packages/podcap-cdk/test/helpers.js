'use strict';
// Shared by the tests: a small EKS app (the repository's examples/undersized.yaml, built from L1s), an
// in-process synth that returns CDK's validation report, and how to run the real podcap CLI.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const cdk = require('aws-cdk-lib');
const { aws_ec2: ec2, aws_eks: eks } = cdk;

process.env.CDK_VALIDATION = 'false'; // CDK's built-in template validator: not what these tests are about

/** The podcap command the tests use: PODCAP_COMMAND (a JSON array), else `podcap` on PATH; null if none. */
function podcapCommand() {
  const argv = process.env.PODCAP_COMMAND ? JSON.parse(process.env.PODCAP_COMMAND) : ['podcap'];
  const p = spawnSync(argv[0], [...argv.slice(1), '--version'], { encoding: 'utf-8' });
  return p.status === 0 ? argv : null;
}

function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Stack "Eks": a /16 VPC, two subnets of `mask` bits in us-east-1a/b, a cluster on both, one m5.large
 * node group (min 3, desired 6, max 12) in both, default vpc-cni settings. Returns the constructs.
 */
function undersizedStack(app, mask = 26) {
  const stack = new cdk.Stack(app, 'Eks');
  const net = new (require('constructs').Construct)(stack, 'Network');
  const vpc = new ec2.CfnVPC(net, 'Vpc', { cidrBlock: '10.0.0.0/16' });
  const size = 2 ** (32 - mask);
  const subnets = ['a', 'b'].map((az, i) => new ec2.CfnSubnet(net, `Nodes${az.toUpperCase()}`, {
    vpcId: vpc.ref,
    cidrBlock: `10.0.${(i * size) >> 8}.${(i * size) % 256}/${mask}`,
    availabilityZone: `us-east-1${az}`,
  }));
  const cluster = new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn:aws:iam::123456789012:role/eks',
    resourcesVpcConfig: { subnetIds: subnets.map((s) => s.ref) },
  });
  const addon = new eks.CfnAddon(stack, 'VpcCni', { addonName: 'vpc-cni', clusterName: cluster.ref });
  const ng = new eks.CfnNodegroup(stack, 'Workers', {
    clusterName: cluster.ref,
    nodeRole: 'arn:aws:iam::123456789012:role/node',
    subnets: subnets.map((s) => s.ref),
    instanceTypes: ['m5.large'],
    amiType: 'AL2023_x86_64_STANDARD',
    scalingConfig: { minSize: 3, desiredSize: 6, maxSize: 12 },
  });
  ng.addResourceDependency(addon);
  return { stack, net, vpc, subnets, cluster, ng };
}

/** Synthesize in process; CDK's validation report (validation-report.json) and whether synth threw. */
function synth(app) {
  let error = null;
  try {
    app.synth();
  } catch (e) {
    error = e;
  }
  const file = path.join(app.outdir, 'validation-report.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')) : null;
  return { error, report };
}

function newApp(context = {}) {
  return new cdk.App({ outdir: tmpdir('podcap-cdk-test-'), context });
}

module.exports = { podcapCommand, tmpdir, undersizedStack, synth, newApp };
