#!/usr/bin/env bash
# Runs the whole test suite once per vector path this CPU offers: every kernel must give the same answers with
# AVX-512, with AVX2 only, with SSE only and with no hardware intrinsics at all (DESIGN.md section 8).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build PdlfFast.sln -c Release -v quiet -nologo
passed=0; failed=0; skipped=0
log=$(mktemp)
for isa in "" DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 DOTNET_EnableHWIntrinsic=0; do
  echo "=== tests with ${isa:-all vector paths enabled} ==="
  status=0
  env $isa dotnet test --solution PdlfFast.sln -c Release --no-build 2>&1 | tee "$log" || status=$?
  p=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$log" | tail -1); f=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
done
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
