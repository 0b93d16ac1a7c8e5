#!/usr/bin/env bash
# A short run of every fuzz target (make test runs it; FUZZTIME sets how long
# each runs). The seed corpus is checked in under each package's
# testdata/fuzz; inputs that fail are added there by go test.
set -euo pipefail
cd "$(dirname "$0")/../.."
time=${FUZZTIME:-10s}
total=0
for target in shared/httpapi:FuzzDecode shared/domain:FuzzNormalizeEmail shared/domain:FuzzCleanText shared/domain:FuzzToken shared/cursor:FuzzCursor; do
  pkg=${target%%:*} name=${target#*:}
  out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$time" "./$pkg" 2>&1) || { echo "$out"; echo "FAIL fuzz $name"; exit 1; }
  execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | grep -o '[0-9]*' || echo 0)
  total=$((total + execs))
  echo "fuzz $name: $execs executions in $time, no failure"
done
echo "fuzz: $total executions in all"
