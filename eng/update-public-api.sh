#!/usr/bin/env bash
# Records public API changes in src/*/PublicAPI.Unshipped.txt from the analyzer's own diagnostics:
# RS0016 (new public symbol) adds a line, RS0017 (declared symbol gone) removes it. Review the diff of those files:
# it is the public surface of the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
for round in 1 2 3; do
  log=$(mktemp)
  dotnet build LocalStack.Persistence.sln --no-incremental -v q -clp:NoSummary -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true
  rc=0
  python3 - "$log" <<'PY' || rc=$?
import re, sys, collections
adds, removes = collections.defaultdict(set), collections.defaultdict(set)
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"RS0016: Symbol '(.+?)' is not part of the declared public API.*\[(.+?\.csproj)\]", line)
    if m: adds[m.group(2)].add(m.group(1))
    m = re.search(r"RS0017: Symbol '(.+?)' is part of the declared API.*\[(.+?\.csproj)\]", line)
    if m: removes[m.group(2)].add(m.group(1))
changed = False
for proj in set(adds) | set(removes):
    path = proj.rsplit("/", 1)[0] + "/PublicAPI.Unshipped.txt"
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
    body = [l for l in lines[1:] if l and l not in removes[proj]]
    body = sorted(set(body) | adds[proj], key=str.lower)
    new = [lines[0] if lines else "#nullable enable"] + body
    if new != lines:
        open(path, "w", encoding="utf-8").write("\n".join(new) + "\n"); changed = True
        print(f"updated {path}: +{len(adds[proj])} -{len(removes[proj])}")
sys.exit(0 if changed else 3)
PY
  rm -f "$log"
  [ "$rc" -eq 3 ] && break
done
echo "public API files are up to date"
