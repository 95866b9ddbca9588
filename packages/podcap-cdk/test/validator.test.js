'use strict';
// PodcapValidator in a real in-process synth, with the real podcap CLI (skipped when it is not installed).
const test = require('node:test');
const assert = require('node:assert/strict');
const { Validations } = require('aws-cdk-lib');
const { PodcapValidator, acknowledge } = require('../lib/index.js');
const { podcapCommand, undersizedStack, synth, newApp } = require('./helpers');

const command = podcapCommand();
const needsPodcap = { skip: command ? false : 'podcap is not installed (pip install podcap, or set PODCAP_COMMAND)' };

function podcapReport(report) {
  return report.pluginReports.find((r) => r.pluginName === 'podcap');
}

test('undersized subnets fail the synth with PC201 on each subnet construct', needsPodcap, () => {
  const app = newApp();
  undersizedStack(app, 26);
  Validations.of(app).addPlugins(new PodcapValidator({ command }));
  const { error, report } = synth(app);
  assert.ok(error, 'synth must fail');
  const rep = podcapReport(report);
  assert.equal(rep.conclusion, 'failure');
  const pc201 = rep.violations.filter((v) => v.ruleName === 'PC201');
  // /26 = 64 - 5 AWS-reserved = 59 usable; m5.large full node: 3 ENIs x 10 = 30 addresses; max 12 nodes over
  // 2 subnets = 6 each -> 180, + ceil(4 control-plane ENIs / 2) = 2 -> 182 needed > 59: both subnets fail
  assert.deepEqual(pc201.map((v) => v.violatingConstructs[0].constructPath).sort(),
    ['Eks/Network/NodesA', 'Eks/Network/NodesB']);
  for (const v of pc201) {
    assert.equal(v.severity, 'error');
    assert.match(v.description, /^Subnet exhausted at node-group max size: /);
    assert.match(v.description, /\b182\b/);
    assert.match(v.description, /\b59 usable\b/);
    assert.ok(v.suggestedFix && v.suggestedFix.length > 0);
    // podcap gives the construct path of an in-process synth from the stack metadata, with its leading '/'
    assert.equal(v.ruleMetadata['construct path'].replace(/^\//, ''), v.violatingConstructs[0].constructPath);
    assert.match(v.violatingConstructs[0].cloudFormationResource.logicalId, /^NetworkNodes[AB][0-9A-F]{8}$/);
  }
  assert.equal(rep.metadata.error, '2');
});

test('the same app with /24 subnets passes', needsPodcap, () => {
  const app = newApp();
  undersizedStack(app, 24);
  Validations.of(app).addPlugins(new PodcapValidator({ command }));
  const { error, report } = synth(app);
  assert.equal(error, null);
  // /24 = 256 - 5 = 251 usable >= 182 needed at max size
  const rep = podcapReport(report ?? { pluginReports: [] });
  assert.ok(!rep || rep.conclusion === 'success');
});

test("CDK's acknowledge('podcap::PC201') on one subnet leaves only the other one failing", needsPodcap, () => {
  const app = newApp();
  const { subnets } = undersizedStack(app, 26);
  Validations.of(subnets[0]).acknowledge({ id: 'podcap::PC201', reason: 'lab cluster, small on purpose' });
  Validations.of(app).addPlugins(new PodcapValidator({ command }));
  const { error, report } = synth(app);
  assert.ok(error);
  const rep = podcapReport(report);
  assert.deepEqual(rep.violations.filter((v) => v.ruleName === 'PC201').map((v) => v.violatingConstructs[0].constructPath),
    ['Eks/Network/NodesB']);
  // CDK moves the acknowledged one to the report's acknowledged list, with the id, scope and reason
  assert.deepEqual(rep.suppressedViolations.map((v) => [v.ruleName, v.acknowledgedId, v.acknowledgedAt, v.reason,
    v.violatingConstructs[0].constructPath]),
  [['PC201', 'podcap::PC201', 'Eks/Network/NodesA', 'lab cluster, small on purpose', 'Eks/Network/NodesA']]);
});

test("acknowledge(scope, 'PC201') on the stack passes the synth, and so does a bare Validations id", needsPodcap, () => {
  const app = newApp();
  const { stack } = undersizedStack(app, 26);
  acknowledge(stack, 'PC201', 'lab cluster, small on purpose');
  Validations.of(app).addPlugins(new PodcapValidator({ command }));
  assert.equal(synth(app).error, null);

  const bare = newApp();
  const parts = undersizedStack(bare, 26);
  Validations.of(parts.stack).acknowledge({ id: 'PC201', reason: 'a bare id, as cdk-nag users write it' });
  Validations.of(bare).addPlugins(new PodcapValidator({ command }));
  const result = synth(bare);
  assert.equal(result.error, null, 'a bare PC201 (recorded by CDK as Annotation::PC201) is honoured');
  // both undersized subnets' PC201 are listed as acknowledged, under the id CDK recorded, with the reason
  const acked = podcapReport(result.report).suppressedViolations;
  assert.deepEqual(acked.map((v) => [v.ruleName, v.reason]).sort(),
    [['Annotation::PC201', 'a bare id, as cdk-nag users write it'],
      ['Annotation::PC201', 'a bare id, as cdk-nag users write it']]);
});

test('strict turns the PC001 warning of an unresolved subnet into a failing error', needsPodcap, () => {
  const build = (props) => {
    const app = newApp();
    const { ng } = undersizedStack(app, 24);
    ng.addPropertyOverride('Subnets', ['subnet-0123456789abcdef0']); // an existing subnet: not in the template
    Validations.of(app).addPlugins(new PodcapValidator({ command, ...props }));
    return synth(app);
  };
  const loose = build({});
  const rep = podcapReport(loose.report);
  assert.equal(loose.error, null);
  assert.ok(rep.violations.some((v) => v.ruleName === 'PC001' && v.severity === 'warning'));
  const strict = build({ strict: true });
  assert.ok(strict.error);
  assert.ok(podcapReport(strict.report).violations.some((v) => v.ruleName === 'PC001' && v.severity === 'error'));
});

test('a missing podcap is a plugin failure that says how to install it', () => {
  const app = newApp();
  undersizedStack(app, 24);
  Validations.of(app).addPlugins(new PodcapValidator({ command: 'podcap-not-installed-here' }));
  const { error, report } = synth(app);
  assert.ok(error);
  const rep = podcapReport(report);
  assert.equal(rep.conclusion, 'failure');
  assert.match(JSON.stringify(rep), /pip install podcap/);
});

test('a nested stack of an in-process synth (no aws:asset:path) is checked through a linked copy', needsPodcap, () => {
  const cdk = require('aws-cdk-lib');
  const { aws_ec2: ec2, aws_eks: eks } = cdk;
  const app = newApp();
  const stack = new cdk.Stack(app, 'Eks');
  const net = new cdk.NestedStack(stack, 'Net');
  const vpc = new ec2.CfnVPC(net, 'Vpc', { cidrBlock: '10.0.0.0/16' });
  // one /26 (64 - 5 = 59 usable) holding all 12 m5.large nodes at max: 12 x 30 + 2 (control plane: 4 ENIs
  // over 2 subnets) = 362 > 59; the other is a /20 (4091 usable) with no nodes
  const small = new ec2.CfnSubnet(net, 'Small', { vpcId: vpc.ref, cidrBlock: '10.0.0.0/26', availabilityZone: 'us-east-1a' });
  const big = new ec2.CfnSubnet(net, 'Big', { vpcId: vpc.ref, cidrBlock: '10.0.16.0/20', availabilityZone: 'us-east-1b' });
  const cluster = new eks.CfnCluster(net, 'Cluster', {
    roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: { subnetIds: [small.ref, big.ref] },
  });
  new eks.CfnNodegroup(net, 'Workers', {
    clusterName: cluster.ref, nodeRole: 'arn:aws:iam::123456789012:role/node', subnets: [small.ref],
    instanceTypes: ['m5.large'], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 12 },
  });
  const validator = new PodcapValidator({ command });
  Validations.of(app).addPlugins(validator);
  const { error, report } = synth(app);
  assert.ok(error);
  const rep = podcapReport(report);
  const pc201 = rep.violations.filter((v) => v.ruleName === 'PC201');
  assert.deepEqual(pc201.map((v) => v.violatingConstructs[0].constructPath), ['Eks/Net/Small']);
  // the report points at the real nested template, not the temporary copy
  assert.match(pc201[0].violatingConstructs[0].cloudFormationResource.templatePath, /^EksNet[0-9A-F]+\.nested\.template\.json$/);
  const outdir = require('fs').realpathSync(app.outdir);
  assert.deepEqual(validator._lastReport.inputs, [outdir]);
  for (const f of validator._lastReport.findings) assert.ok(!f.file || f.file.startsWith(outdir + '/'), f.file);
});

test('stacks in a Stage: the whole assembly is checked, with construct paths inside the stage', needsPodcap, () => {
  const cdk = require('aws-cdk-lib');
  const app = newApp();
  const prod = new cdk.Stage(app, 'Prod');
  undersizedStack(prod, 26);
  const top = new cdk.Stack(app, 'Top');
  new cdk.aws_ec2.CfnVPC(top, 'Vpc', { cidrBlock: '10.1.0.0/16' });
  const validator = new PodcapValidator({ command });
  Validations.of(app).addPlugins(validator);
  const { error, report } = synth(app);
  assert.ok(error);
  // the templates lie in cdk.out and cdk.out/assembly-Prod and are exactly the assembly's stacks: podcap
  // reads the outermost assembly, as `podcap check cdk.out` does (resource ids carry the stack names)
  assert.deepEqual(validator._lastReport.inputs, [require('fs').realpathSync(app.outdir)]);
  const pc201 = podcapReport(report).violations.filter((v) => v.ruleName === 'PC201');
  assert.deepEqual(pc201.map((v) => v.violatingConstructs[0].constructPath).sort(),
    ['Prod/Eks/Network/NodesA', 'Prod/Eks/Network/NodesB']);
  assert.ok(pc201.every((v) => v.ruleMetadata.resource.startsWith('Prod-Eks/')));
});

test("strict: true in the .podcap.yaml makes warnings errors, whether or not errors fail the check too", needsPodcap, () => {
  const fs = require('fs');
  const path = require('path');
  const { tmpdir } = require('./helpers');
  const config = path.join(tmpdir('podcap-config-'), '.podcap.yaml');
  fs.writeFileSync(config, 'strict: true   # warnings fail\n');
  for (const mask of [24, 26]) { // /24: only the PC001 warning; /26: PC201 errors as well
    const app = newApp();
    const { ng } = undersizedStack(app, mask);
    // one existing subnet (not in the template: PC001) and the template's first subnet
    ng.addPropertyOverride('Subnets', ['subnet-0123456789abcdef0', ng.subnets[0]]);
    Validations.of(app).addPlugins(new PodcapValidator({ command, config }));
    const { error, report } = synth(app);
    assert.ok(error, `/${mask} must fail`);
    const pc001 = podcapReport(report).violations.filter((v) => v.ruleName === 'PC001');
    assert.ok(pc001.length > 0 && pc001.every((v) => v.severity === 'error' && v.ruleMetadata['podcap severity'] === 'warning'),
      JSON.stringify(pc001.map((v) => v.severity)));
  }
});
