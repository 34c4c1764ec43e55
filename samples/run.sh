#!/usr/bin/env bash
# Builds samples/Host against packed PdlfFast packages and runs its four scenarios end to end.
#   bash samples/run.sh [PACKAGE_DIR] [PDLF]
# PACKAGE_DIR: the folder tools/pack.sh wrote (default: artifacts/packages of this repository).
# PDLF: the pdlf command that writes the two checkpoints (default: pdlf on PATH), e.g. after
#   dotnet tool install pdlf --tool-path /tmp/sample-tools --add-source artifacts/packages --version 0.9.0
# Needs the .NET 10 SDK, nuget.org (the packages' dependencies) and MuJoCo 2.2.2 (apt-get install libmujoco2.2.2).
# Everything it makes goes into a temporary directory (checkpoints, package cache, build output), removed at the end.
set -euo pipefail
samples=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$samples")
default_packages="$repo/artifacts/packages"
packages=$(realpath -m "${1:-$default_packages}")
pdlf=${2:-pdlf}
version=0.9.0
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail() { echo "run.sh: $*" >&2; exit 1; }
[[ -f "$packages/PdlfFast.Tasks.$version.nupkg" ]] || fail "no PdlfFast.Tasks.$version.nupkg in $packages (run tools/pack.sh first)"
command -v "$pdlf" >/dev/null || fail "pdlf command not found: $pdlf (install the tool, or pass its path as the second argument)"

work=$(mktemp -d "${TMPDIR:-/tmp}/pdlf-sample.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# Quiet unless it fails: the tool's progress display is not what this script checks.
quiet() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; fail "failed: $*"; fi
}

echo "== checkpoints with $pdlf"
quiet "$work/train-swimmer.log" "$pdlf" train swimmer_dir --generations 2 --population 4 --hidden 16 --episode-steps 200 \
  --compare none --out "$work/swimmer"
# (No --compare here: for train cue, "--compare none" would also train the rule "none" into a subfolder.)
quiet "$work/train-cue.log" "$pdlf" train cue --steps 3 --batch 4 --hidden 8 --length 3 --test-every 3 --test-episodes 8 \
  --out "$work/cue"
echo "   done ($((SECONDS - start)) s)"

echo "== build samples/Host against $packages"
# A package cache of its own, empty at the start: a re-packed $version is never shadowed by an older copy.
cache="$work/nuget-packages"
build=(dotnet build "$samples/Host" -c Release --no-incremental -nologo -v quiet -o "$work/bin" -p:RestorePackagesPath="$cache")
# Another folder than the default replaces NuGet.config's sources (Host.csproj, PdlfPackages).
[[ "$packages" == "$(realpath -m "$default_packages")" ]] || build+=(-p:PdlfPackages="$packages")
quiet "$work/build.log" "${build[@]}"
for id in Kernel Rules Training Tasks; do
  lower=$(echo "pdlffast.$id" | tr '[:upper:]' '[:lower:]')
  cmp -s "$cache/$lower/$version/$lower.$version.nupkg" "$packages/PdlfFast.$id.$version.nupkg" \
    || fail "PdlfFast.$id $version was not restored from $packages"
done
echo "   done ($((SECONDS - start)) s): the four PdlfFast packages came from $packages"

echo "== LIBRARY-SNIPPET.md against the sources"
# Every line of its C# blocks must occur in samples/Host/*.cs, so the excerpt is code that compiles.
sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' "$samples"/Host/*.cs >"$work/sources.txt"
missing=0
while IFS= read -r line; do
  trimmed=$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"$line")
  [[ -z "$trimmed" || "$trimmed" == "// ..." ]] && continue   # blank lines and elisions
  if ! grep -qxF -- "$trimmed" "$work/sources.txt"; then
    echo "   not in samples/Host: $trimmed" >&2
    missing=1
  fi
done < <(awk '/^```/{inside=!inside; next} inside' "$samples/LIBRARY-SNIPPET.md")
[[ $missing == 0 ]] || fail "LIBRARY-SNIPPET.md has lines that are not in the sample's code"
# README's library section is that excerpt: every line of it must be there too.
sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' "$repo/README.md" >"$work/readme.txt"
while IFS= read -r line; do
  trimmed=$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"$line")
  [[ -z "$trimmed" ]] && continue
  grep -qxF -- "$trimmed" "$work/readme.txt" || { echo "   not in README.md: $trimmed" >&2; missing=1; }
done < <(awk '/^```/{inside=!inside; next} inside' "$samples/LIBRARY-SNIPPET.md")
[[ $missing == 0 ]] || fail "README.md's library section differs from LIBRARY-SNIPPET.md"
echo "   done"

host=(dotnet "$work/bin/pdlf-host-sample.dll")
echo "== a bad path is a usage error"
set +e
"${host[@]}" checkpoint "$work/no-such-checkpoint.ckpt" 2>"$work/bad.err"
code=$?
set -e
[[ $code == 2 ]] && grep -q '^error: ' "$work/bad.err" || fail "expected exit 2 and an error line, got $code: $(cat "$work/bad.err")"
echo "   done: $(cat "$work/bad.err")"

echo "== pdlf-host-sample all"
"${host[@]}" all "$work/swimmer/checkpoint.ckpt" "$work/cue/checkpoint.ckpt" | tee "$work/all.out"
grep -qx 'all scenarios passed' "$work/all.out" || fail "the host did not finish all scenarios"
# The host's locomotion episodes are the training's test episodes: same mean return as pdlf's summary.json.
expected=$(sed -E 's/.*"test-return":([^,]+),.*/\1/' "$work/swimmer/summary.json" | awk '{ printf "%.4f", $1 }')
grep -q "mean return over the 8 training targets $expected\$" "$work/all.out" \
  || fail "the host's mean return differs from pdlf's test return $expected"
echo "== the host's swimmer returns match pdlf's test ($expected)"
echo "== samples passed in $((SECONDS - start)) s"
