// Lets `node build/app.js` find 'podcap-cdk' (packages/podcap-cdk, as it would be installed from npm) and
// the aws-cdk-lib, constructs and yaml it was built and tested with (its node_modules), without an
// npm install in this folder.
const path = require('path');
const root = path.resolve(__dirname, '..', '..', '..', 'packages');
const extra = [root, path.join(root, 'podcap-cdk', 'node_modules')];
process.env.NODE_PATH = [...extra, ...(process.env.NODE_PATH ? process.env.NODE_PATH.split(path.delimiter) : [])]
  .join(path.delimiter);
require('module').Module._initPaths();
