#!/usr/bin/env bash
# A short run of every fuzz target (make test runs it). The seed corpus is
# checked in under each package's testdata/fuzz; inputs that fail are added
# there by go test.
#
# Each target runs a fixed number of executions (about ten seconds' worth on
# a two-core machine), not a duration: Go 1.26's fuzz coordinator can report
# a bare "context deadline exceeded" when a -fuzztime duration ends while a
# worker is mid-call (golang/go#75804, fixed in Go 1.27), which failed CI
# with nothing found. A count has no deadline to race. FUZZTIME=5m (make
# fuzz) runs every target for that long instead; such a run that ends with
# only that bare deadline, no input written, replays the corpus and counts
# as passed if the replay does.
set -euo pipefail
cd "$(dirname "$0")/../.."
total=0
for target in shared/httpapi:FuzzDecode:300000 shared/domain:FuzzNormalizeEmail:400000 \
  shared/domain:FuzzCleanText:8000 shared/domain:FuzzToken:400000 shared/cursor:FuzzCursor:150000; do
  IFS=: read -r pkg name count <<<"$target"
  budget=${FUZZTIME:-${count}x}
  if ! out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$budget" "./$pkg" 2>&1); then
    if [[ $budget == *x ]] || grep -q 'Failing input written' <<<"$out" ||
      [[ $(grep -c 'context deadline exceeded' <<<"$out") -eq 0 ]] ||
      ! go test -count=1 -run="^${name}\$" "./$pkg" >/dev/null 2>&1; then
      echo "$out"; echo "FAIL fuzz $name"; exit 1
    fi
    echo "fuzz $name: the run ended on Go's fuzztime deadline race (golang/go#75804) with nothing found; its corpus replays clean"
  fi
  execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | grep -o '[0-9]*' || echo 0)
  total=$((total + execs))
  echo "fuzz $name: $execs executions ($budget), no failure"
done
echo "fuzz: $total executions in all"
