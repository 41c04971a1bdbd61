#!/usr/bin/env bash
# Runs the training CLI from the source tree until the `strata` launcher registers its commands:
#   strata-train/run.sh train --spec models/fashion-cnn/spec.yaml --data DATA --out DIR
# Builds the modules once (no tests) and caches the classpath in strata-train/target/classpath.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
cp_file="$root/strata-train/target/classpath.txt"
if [ ! -f "$cp_file" ] || [ -n "${STRATA_REBUILD:-}" ]; then
  "$root/build" -q -pl strata-train -am compile dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >&2
fi
classes="$root/strata-core/target/classes:$root/strata-onnx/target/classes:$root/strata-preprocess/target/classes:$root/strata-train/target/classes"
exec "$STRATA_JAVA_HOME/bin/java" ${STRATA_JAVA_OPTS:--Xmx6g} --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml" \
  -cp "$classes:$(cat "$cp_file")" dev.strata.train.cli.StrataTrainCli "$@"
