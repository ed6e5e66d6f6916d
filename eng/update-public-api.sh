#!/usr/bin/env bash
# Records every public API change in src/*/PublicAPI.Unshipped.txt (RS0016 adds, RS0017 removals).
# Review the diff of those files: it is the public surface of the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in src/*/*.csproj; do
  dotnet format analyzers "$p" --diagnostics RS0016 RS0017 RS0025 --severity info -v q || true
done
