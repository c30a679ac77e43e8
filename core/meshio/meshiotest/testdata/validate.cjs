// Validates glTF/GLB files with the Khronos glTF validator and prints one
// JSON report per file: {"file","numErrors","numWarnings","numInfos","messages":[…]}.
// Usage: node validate.cjs NPM_PREFIX FILE...
// NPM_PREFIX is where `npm install --prefix NPM_PREFIX gltf-validator` put it.
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require(path.join(process.argv[2], 'node_modules', 'gltf-validator'));

async function main() {
  const out = [];
  for (const file of process.argv.slice(3)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
      uri: path.basename(file),
      maxIssues: 50,
    });
    const is = report.issues;
    out.push({
      file,
      numErrors: is.numErrors,
      numWarnings: is.numWarnings,
      numInfos: is.numInfos,
      messages: is.messages.map((m) => ({ code: m.code, severity: m.severity, message: m.message, pointer: m.pointer })),
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e));
  process.exit(2);
});
