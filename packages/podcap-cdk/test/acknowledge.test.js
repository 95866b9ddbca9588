'use strict';
// acknowledge(): CDK's acknowledgment and podcap's template-Metadata waiver, with the Python helper's rules.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const fs = require('fs');
const { acknowledge } = require('../lib/index.js');
const { undersizedStack, newApp } = require('./helpers');

function synthAcked(args) {
  const app = newApp();
  const parts = undersizedStack(app, 24);
  acknowledge(parts.subnets[0], ...args);
  const asm = app.synth();
  const template = JSON.parse(fs.readFileSync(path.join(asm.directory, 'Eks.template.json'), 'utf-8'));
  const meta = JSON.parse(fs.readFileSync(path.join(asm.directory, 'Eks.metadata.json'), 'utf-8'));
  const subnet = Object.values(template.Resources).find((r) => r.Type === 'AWS::EC2::Subnet' && r.Properties.CidrBlock === '10.0.0.0/24');
  const acks = (meta['/Eks/Network/NodesA'] ?? []).filter((e) => e.type === 'aws:cdk:acknowledged-rules').map((e) => e.data);
  return { subnet, acks };
}

test('records podcap::PC201 for CDK and podcap.suppress in the resource Metadata', () => {
  const { subnet, acks } = synthAcked(['PC201', '  lab cluster, small on purpose ']);
  assert.deepEqual(subnet.Metadata.podcap, { suppress: [{ id: 'PC201', reason: 'lab cluster, small on purpose' }] });
  assert.deepEqual(acks, [{ 'podcap::PC201': 'lab cluster, small on purpose' }]);
});

test('the qualified id is accepted too', () => {
  const { acks } = synthAcked(['podcap::PC203', 'single-AZ lab cluster']);
  assert.deepEqual(acks, [{ 'podcap::PC203': 'single-AZ lab cluster' }]);
});

test('an expired waiver keeps its Metadata (podcap reports it expired) but no CDK acknowledgment', () => {
  const { subnet, acks } = synthAcked(['PC201', 'lab cluster, small on purpose', { expires: '2026-01-31', today: new Date(2026, 1, 1) }]);
  assert.deepEqual(subnet.Metadata.podcap.suppress, [{ id: 'PC201', reason: 'lab cluster, small on purpose', expires: '2026-01-31' }]);
  assert.deepEqual(acks, []);
  const current = synthAcked(['PC201', 'lab cluster, small on purpose', { expires: '2026-01-31', today: new Date(2026, 0, 31) }]);
  assert.deepEqual(current.acks, [{ 'podcap::PC201': 'lab cluster, small on purpose' }]);
});

test('bad ids, short reasons and bad dates are refused', () => {
  const app = newApp();
  const { stack } = undersizedStack(app, 24);
  assert.throws(() => acknowledge(stack, 'W3010', 'not a podcap rule id'), /not a podcap rule id/);
  assert.throws(() => acknowledge(stack, 'PC201', 'too short'), /at least 10 characters/);
  assert.throws(() => acknowledge(stack, 'PC201', 'lab cluster, small', { expires: '2026-02-30' }), /not a date/);
});
