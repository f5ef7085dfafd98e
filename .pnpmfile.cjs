'use strict';
// Shapes the package.json that `pnpm pack` / `pnpm publish` put in a tarball (pnpm's beforePacking hook). The
// workspace manifests keep what development needs; a user's install must not see it:
// - the "@wai/source" export condition points at src/, which is not shipped (it lets workspace tools and vitest
//   resolve sources without a build);
// - devDependencies name the private @wai/test-services and the benchmark peers, none of which a user installs;
// - scripts run turbo/tsup/vitest, which a user does not have.
function stripSourceCondition(value) {
  if (Array.isArray(value)) return value.map(stripSourceCondition);
  if (value === null || typeof value !== 'object') return value;
  const result = {};
  for (const [key, entry] of Object.entries(value)) {
    if (key === '@wai/source') continue;
    result[key] = stripSourceCondition(entry);
  }
  return result;
}

function beforePacking(manifest) {
  if (manifest.exports !== undefined) manifest.exports = stripSourceCondition(manifest.exports);
  delete manifest.devDependencies;
  delete manifest.scripts;
  return manifest;
}

module.exports = { hooks: { beforePacking } };
