#!/usr/bin/env bash
# Records the current public surface of the four libraries in their PublicAPI.Unshipped.txt (Microsoft's
# PublicApiAnalyzers then fail the build on any change that the files do not list). Run it after a deliberate API
# change and review the diff; see docs/api.md. The analyzer names each undeclared symbol (RS0016) and each declared
# symbol that no longer exists (RS0017) in the exact form the files use, so the files are rebuilt from its messages.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in Kernel Rules Training Tasks; do
  dir=src/$project
  unshipped=$dir/PublicAPI.Unshipped.txt
  [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '#nullable enable\n' > "$dir/PublicAPI.Shipped.txt"
  [ -f "$unshipped" ] || printf '#nullable enable\n' > "$unshipped"
  log=$(mktemp)
  dotnet build "$dir" -c Release -nologo -v quiet --no-incremental -p:TreatWarningsAsErrors=false -p:WarningLevel=4 > "$log" 2>&1 || true
  added=$(sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" "$log" | sort -u)
  removed=$(sed -n "s/.*warning RS0017: Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found.*/\1/p" "$log" | sort -u)
  if grep -q " error " "$log"; then grep " error " "$log" | head -20; rm -f "$log"; exit 1; fi
  rm -f "$log"
  {
    printf '#nullable enable\n'
    { grep -v '^#nullable enable$' "$unshipped" || true; [ -z "$added" ] || printf '%s\n' "$added"; } |
      { if [ -n "$removed" ]; then grep -vxF -f <(printf '%s\n' "$removed"); else cat; fi; } | sort -u
  } > "$unshipped.new"
  mv "$unshipped.new" "$unshipped"
  echo "$project: $(printf '%s' "$added" | grep -c . || true) added, $(printf '%s' "$removed" | grep -c . || true) removed"
done
