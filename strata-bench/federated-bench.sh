#!/usr/bin/env bash
# Federated learning (issue 12 §5): `strata federated simulate` on Fashion-MNIST, side by side in
# one run: FedAvg, FedProx and FedAdam on Dirichlet alpha = 0.5 over 100 clients (10 per round, 50
# rounds), FedAvg on alpha = 0.1, FedAvg with five local epochs, FedAvg under secure aggregation,
# and client-level DP at two noise levels; then one chart of every curve (strata federated chart). The network is fashion-cnn's
# spec (central training: 92.7%); clients train 2 local epochs of SGD (batch 32, lr 0.02,
# momentum 0.9) per round.
#   strata-bench/federated-bench.sh [--rounds 50] [--only NAME,...]
#   strata-bench/federated-bench.sh --smoke    # the shipped subset, 3 rounds of two runs
# About 11 minutes per run of 50 rounds on 2 cores (25 with five local epochs; the DP runs take 25
# rounds), about 90 minutes in all; results in strata-bench/target/federated-bench.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  "$root/build" -q -B -DskipTests package -pl strata-bench -am >&2
fi
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "federated-bench: no $jar; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
  exit 1
fi
rounds=50
only=
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; rounds=3 ;;
    --rounds) rounds=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "federated-bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out="$root/strata-bench/target/federated-bench"
mkdir -p "$out"
java=("$STRATA_JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml"
  -cp "$jar:$root/strata-bench/target/lib/*")
strata() { "${java[@]}" dev.strata.federated.cli.FederatedCommand "$@"; }

common=(--spec "$root/models/fashion-cnn/spec.yaml")
if [ $smoke = 1 ]; then
  common+=(--data "$root/data/fashion-mnist-subset" --clients 20 --per-round 5)
fi
dp_rounds=$(( rounds / 2 ))
run() { # NAME ROUNDS ARGS...
  local name=$1 n=$2; shift 2
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then return; fi
  echo "== $name" >&2
  strata simulate "${common[@]}" --rounds "$n" --out "$out/$name" "$@" | tee "$out/$name.log" >&2
}
run fedavg $rounds --strategy fedavg --partition dirichlet:0.5
run secagg $rounds --strategy fedavg --partition dirichlet:0.5 --secure-aggregation
[ $smoke = 1 ] || {
  run fedprox $rounds --strategy fedprox --partition dirichlet:0.5
  run fedadam $rounds --strategy fedadam --partition dirichlet:0.5
  run fedavg-alpha0.1 $rounds --strategy fedavg --partition dirichlet:0.1
  # five local epochs a round: about as many sample passes in 50 rounds as central training's 24 epochs
  run fedavg-e5 $rounds --strategy fedavg --partition dirichlet:0.5 --local-epochs 5
  # DP at two noise levels, half the rounds (the accountant's epsilon grows with every round)
  run dp-low $dp_rounds --strategy fedavg --partition dirichlet:0.5 --secure-aggregation --clip 1 --dp-noise 0.1
  run dp-high $dp_rounds --strategy fedavg --partition dirichlet:0.5 --secure-aggregation --clip 1 --dp-noise 0.3
}
files=()
for f in "$out"/*/rounds.json; do files+=("$f"); done
strata chart --title "Fashion-MNIST, 100 clients, 10 per round" --out "$out/chart.html" "${files[@]}"
for f in "${files[@]}"; do
  python3 - "$f" <<'PY' 2>/dev/null || true
import json, sys
d = json.load(open(sys.argv[1])); r = d["rounds"]
best = max(r, key=lambda x: x["test_accuracy"])
first90 = next((x["round"] for x in r if x["test_accuracy"] >= 0.90), None)
eps = r[-1].get("epsilon")
ratio = r[-1]["client_bytes"] / r[-1]["plain_update_bytes"]
print(f'{d["name"]}: best {best["test_accuracy"]*100:.2f}% (round {best["round"]}), last {r[-1]["test_accuracy"]*100:.2f}%, '
      f'90% at round {first90}, {sum(x["seconds"] for x in r)/len(r):.1f} s/round, '
      f'secagg {sum(x["sec_agg_seconds"] for x in r)/len(r):.2f} s/round, traffic {ratio:.3f}x'
      + (f', epsilon {eps:.2f}' if eps else ''))
PY
done
