#!/usr/bin/env bash
# Runs the test suite once per vector path this CPU offers: every kernel must give the same answers with
# AVX-512, with AVX2 only, with SSE only and with no hardware intrinsics at all (docs/design.md, "Vector paths and determinism").
set -euo pipefail
cd "$(dirname "$0")/.."

# Each pass after the first switches off the path named before it, the widest still on, and reaches its own.
switches=("" DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 DOTNET_EnableHWIntrinsic=0)
paths=("AVX-512" "AVX2" "SSE" "no intrinsics")
labels=("${paths[@]}")

# Ask .NET which of those paths it has here rather than /proc/cpuinfo (it may leave 512-bit vectors unaccelerated on
# a CPU with AVX-512, and a caller's DOTNET_ switches count), so that a CPU without AVX-512 does not run its AVX2 path
# twice. The probe runs while the build does.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/probe.fsx" <<'FSX'
open System.Runtime.Intrinsics
let name = if Vector512.IsHardwareAccelerated then "AVX-512" elif Vector256.IsHardwareAccelerated then "AVX2"
           elif Vector128.IsHardwareAccelerated then (if X86.Sse.IsSupported then "SSE" else "128-bit SIMD")
           else "no intrinsics"
printfn "%s|%b|%b|%b" name Vector512.IsHardwareAccelerated X86.Avx2.IsSupported Vector128.IsHardwareAccelerated
FSX
(dotnet fsi --quiet --exec "$work/probe.fsx" > "$work/probe" 2>&1 || true) &
dotnet build PdlfFast.sln -c Release -v quiet -nologo
wait

run=(0); notes=()
if IFS='|' read -r name has512 has256 has128 < "$work/probe" && { [ "$has128" = true ] || [ "$has128" = false ]; }; then
  labels[0]=$name
  has=("$has512" "$has256" "$has128")
  for i in 1 2 3; do
    if [ "${has[$((i - 1))]}" = true ]; then run+=("$i")
    else notes+=("${paths[$((i - 1))]}: not available to .NET on this CPU, skipped (the default pass already ran $name)"); fi
  done
else
  echo "could not ask .NET which vector paths it has: $(head -c 300 "$work/probe"); running every pass"
  run=(0 1 2 3)
fi
[ ${#notes[@]} -eq 0 ] || printf '%s\n' "${notes[@]}"

passed=0; failed=0; skipped=0
log="$work/log"
exercised=()
for k in "${!run[@]}"; do
  isa=${switches[${run[$k]}]}; exercised+=("${labels[${run[$k]}]}")
  # End-to-end tests (training runs, CLI commands) only combine kernels that the kernel tests check on every path,
  # and they take most of a pass: they run on the first path only.
  filter=(); what="all tests"
  if [ "$k" -gt 0 ]; then filter=(--filter-not-trait "Category=EndToEnd"); what="all but the end-to-end tests"; fi
  echo "=== ${exercised[$k]} path (${isa:-default settings}): ${what} ==="
  status=0
  env $isa dotnet test --solution PdlfFast.sln -c Release --no-build "${filter[@]}" 2>&1 | tee "$log" || status=$?
  p=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$log" | tail -1); f=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
done
printf -v list '%s, ' "${exercised[@]}"
echo "vector paths exercised: ${list%, }"
[ ${#notes[@]} -eq 0 ] || printf '%s\n' "${notes[@]}"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
