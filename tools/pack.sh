#!/usr/bin/env bash
# Packs every package into one local folder (default artifacts/packages): the four libraries with their symbol
# packages, the pdlf tool (native-AOT linux-x64 package plus the pointer package) and the pdlf-cluster tool.
# Hosts then take them with: dotnet add package PdlfFast.Tasks --source artifacts/packages
# and the tool with: dotnet tool install --global pdlf --add-source artifacts/packages
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts/packages}")
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in Kernel Rules Training Tasks Cluster; do
  dotnet pack "src/$project" -c Release -o "$out" -nologo -v quiet
done
# A RID-specific AOT tool is packed once per RID, then the pointer package that names the RIDs.
dotnet pack src/Cli -c Release -r linux-x64 -o "$out" -nologo -v quiet
dotnet pack src/Cli -c Release -o "$out" -nologo -v quiet
ls -1 "$out"
