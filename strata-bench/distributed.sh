#!/usr/bin/env bash
# Distributed-training figures of docs/distributed.md: fashion-cnn and fashion-resnet on the shipped
# Fashion-MNIST subset, 1 and 2 workers (local-cluster: one executor JVM per worker, one core each),
# ring all-reduce and the parameter server (synchronous, and asynchronous with staleness 2).
# Usage: strata-bench/distributed.sh [OUT_DIR]   (prints one line per run; details in OUT/*/cluster.json)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/strata-bench/target/distributed}
mkdir -p "$out"
run() { # model epochs workers sync staleness
  local name="$1-$4-s$5-w$3" extra=()
  [ "$4" = parameter-server ] && extra=(--staleness "$5")
  "$root/strata" train --spec "$root/models/$1/spec.yaml" --data "$root/data/fashion-mnist-subset" \
    --out "$out/$name" --epochs "$2" --quiet --cluster "local-cluster[$3,1,1024]" --workers "$3" \
    --sync "$4" "${extra[@]}" >"$out/$name.log" 2>&1
  python3 - "$out/$name" "$name" <<'PY'
import json, sys
d = sys.argv[1]; c = json.load(open(d + "/cluster.json")); m = json.load(open(d + "/metrics.json"))
w = c["perWorker"]; steps = w[0]["steps"]
comp = max(x["secondsTraining"] - x["secondsExchange"] for x in w) / steps * 1e3
comm = max(x["secondsExchange"] for x in w) / steps * 1e3
sent = sum(x["bytesSent"] for x in w) / len(w) / steps / 1e6
print(f"{sys.argv[2]:<40} steps {steps:>3}  compute {comp:7.1f} ms  exchange {comm:6.1f} ms  "
      f"sent/worker {sent:6.2f} MB/step  server sent {c['serverBytesSent']/steps/1e6:6.2f} MB/step  "
      f"accuracy {m['classification']['accuracy']:.4f}")
PY
}
for w in 1 2; do
  run fashion-cnn 2 $w allreduce 0
  run fashion-cnn 2 $w parameter-server 0
  run fashion-cnn 2 $w parameter-server 2
done
for w in 1 2; do
  run fashion-resnet 1 $w allreduce 0
  run fashion-resnet 1 $w parameter-server 0
done
