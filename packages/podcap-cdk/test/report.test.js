'use strict';
// buildReport and the assembly index without the CLI: a cloud assembly written by an in-process synth and
// a podcap JSON report in the documented format (docs/report-json.md) with the undersized example's figures.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { Validations } = require('aws-cdk-lib');
const { AssemblyIndex, checkTargets, indexAssembly } = require('../lib/assembly.js');
const { buildReport, logicalId } = require('../lib/report.js');
const { undersizedStack, newApp } = require('./helpers');

function assembly({ ack } = {}) {
  const app = newApp();
  const parts = undersizedStack(app, 26);
  if (ack) Validations.of(parts.subnets[0]).acknowledge({ id: 'podcap::PC201', reason: ack });
  const asm = app.synth();
  return { dir: asm.directory, template: path.join(asm.directory, 'Eks.template.json') };
}

function finding(over) {
  return {
    rule_id: 'PC201', severity: 'error', title: 'Subnet exhausted at node-group max size',
    // /26: 64 - 5 = 59 usable; 6 nodes x 30 addresses + 2 control-plane = 182 needed
    message: 'subnet Eks/NetworkNodesA (10.0.0.0/26) needs 182 addresses at max size but has 59 usable',
    resource: 'Eks/NetworkNodesAXXXXXXXX', resource_type: 'subnet', file: '', path: '',
    construct_path: null, fix: 'needs a /24 (251 usable) or larger', suppressed: null, ...over,
  };
}

function report(findings) {
  const summary = { error: 0, warning: 0, info: 0, suppressed: 0 };
  for (const f of findings) summary[f.suppressed ? 'suppressed' : f.severity] += 1;
  return { version: 1, tool: { name: 'podcap', version: '0.1.0' }, inputs: ['cdk.out'], summary, findings };
}

test('logical ids come from Resources/<id>, else the last part of the resource id', () => {
  assert.equal(logicalId('Eks/NetworkNodesA1', 'Resources/NetworkNodesA1/Properties'), 'NetworkNodesA1');
  assert.equal(logicalId('Eks/Nested/Subnet1', ''), 'Subnet1');
});

test('the index maps logical ids to construct paths and reads acknowledgments from the stack metadata', () => {
  const { dir, template } = assembly({ ack: 'lab cluster, small on purpose' });
  const index = indexAssembly(dir);
  assert.deepEqual(index.templates, [template]);
  const lid = [...index.constructPaths.get('Eks.template.json')].find(([, p]) => p === 'Eks/Network/NodesA')[0];
  assert.match(lid, /^NetworkNodesA[0-9A-F]{8}$/);
  assert.equal(index.acknowledgment('PC201', 'Eks/Network/NodesA'), 'lab cluster, small on purpose');
  assert.equal(index.acknowledgment('PC201', '/Eks/Network/NodesA/Child'), 'lab cluster, small on purpose');
  assert.equal(index.acknowledgment('PC201', 'Eks/Network/NodesB'), undefined);
  assert.equal(index.acknowledgment('PC202', 'Eks/Network/NodesA'), undefined);
  // one folder with a manifest: podcap checks the whole assembly, as the Python plugin does
  assert.deepEqual(checkTargets([template]), [dir]);
});

test('findings become violations as the Python plugin makes them', () => {
  const { dir, template } = assembly({ ack: 'lab cluster, small on purpose' });
  const index = indexAssembly(dir);
  const lidA = [...index.constructPaths.get('Eks.template.json')].find(([, p]) => p === 'Eks/Network/NodesA')[0];
  const lidB = [...index.constructPaths.get('Eks.template.json')].find(([, p]) => p === 'Eks/Network/NodesB')[0];
  const rep = buildReport(report([
    finding({ resource: `Eks/${lidA}`, file: template, path: `Resources/${lidA}`,
      suppressed: { reason: 'lab cluster, small on purpose', expires: null, source: 'cdk-acknowledge' } }),
    finding({ resource: `Eks/${lidB}`, file: template, path: `Resources/${lidB}`, construct_path: '/Eks/Network/NodesB' }),
    finding({ rule_id: 'PC001', severity: 'warning', title: 'Value could not be resolved', message: 'x', fix: null,
      resource: 'Eks/Workers', file: template, path: 'Resources/Workers' }),
    finding({ rule_id: 'PC401', severity: 'info', title: 'Warm pool', resource: 'workers', file: 'spec.yaml' }),
  ]), index, { templates: [template], rules: new Map([['PC201', { id: 'PC201', help_uri: 'https://docs.example/pc201' }]]) });
  // the acknowledged error does not fail the report (CDK moves it to the acknowledged list); the other one does
  assert.equal(rep.success, false);
  assert.deepEqual(rep.violations.map((v) => [v.ruleName, v.severity]), [['PC201', 'error'], ['PC201', 'error'], ['PC001', 'warning']]);
  const [a, b, w] = rep.violations;
  assert.equal(a.ruleMetadata['construct path'], 'Eks/Network/NodesA'); // from the stack metadata
  assert.equal(a.ruleMetadata['podcap suppression'], 'lab cluster, small on purpose');
  assert.equal(b.ruleMetadata['construct path'], '/Eks/Network/NodesB'); // podcap's own, as given
  assert.deepEqual(b.violatingResources, [{ resourceLogicalId: lidB, templatePath: template, locations: [] }]);
  assert.equal(b.description, 'Subnet exhausted at node-group max size: subnet Eks/NetworkNodesA (10.0.0.0/26) needs '
    + '182 addresses at max size but has 59 usable');
  assert.equal(b.fix, 'needs a /24 (251 usable) or larger');
  assert.equal(b.ruleMetadata.docs, 'https://docs.example/pc201');
  assert.equal('fix' in w, false);
  assert.equal(rep.metadata.inputs, 'cdk.out');
  assert.equal(rep.metadata.error, '1'); // podcap's summary: the acknowledged one counts as suppressed
  assert.equal(rep.metadata.suppressed, '1');
});

test('strict reports warnings as errors; info only on request; a podcap-only suppression is left out', () => {
  const index = new AssemblyIndex();
  const warn = finding({ rule_id: 'PC001', severity: 'warning', resource: 'Stack/Sub', file: '/x/S.template.json', path: 'Resources/Sub' });
  const info = finding({ rule_id: 'PC401', severity: 'info', resource: 'workers', file: 'spec.yaml', path: '' });
  const waived = finding({ suppressed: { reason: 'resized next sprint', expires: null, source: '.podcap.yaml' } });
  let rep = buildReport(report([warn, info, waived]), index, { templates: ['/x/S.template.json'] });
  assert.equal(rep.success, true);
  assert.deepEqual(rep.violations.map((v) => v.ruleName), ['PC001']);
  assert.equal(rep.metadata['suppressed by podcap'], '1');
  rep = buildReport(report([warn, info]), index, { strict: true, includeInfo: true, templates: ['/x/S.template.json'] });
  assert.equal(rep.success, false);
  assert.deepEqual(rep.violations.map((v) => [v.ruleName, v.severity]), [['PC001', 'error'], ['PC401', 'info']]);
  assert.equal(rep.violations[0].ruleMetadata['podcap severity'], 'warning');
  // a finding outside any .json template is reported against the first template CDK passed
  assert.deepEqual(rep.violations[1].violatingResources, [{ resourceLogicalId: 'workers', templatePath: '/x/S.template.json', locations: [] }]);
});
