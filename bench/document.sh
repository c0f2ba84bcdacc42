#!/usr/bin/env bash
# The real job (issue 13): one generated document of 1,200-token chunks through the whole pipeline and its
# finalisation, a first and a second ingestion, for each model back-end and pool size; then the knowledge-base
# growth comparison (the same document into an empty knowledge base and into one holding KB_DOCUMENTS others).
#
#   bench/document.sh                               # CHUNKS=40 POOL_SIZES="1 2 4" MODELS="embedded scripted" KB_DOCUMENTS=4
#   CHUNKS=12 POOL_SIZES=4 MODELS=scripted bench/document.sh
#
# Growth mode (issue 21): the knowledge base grows to each of KB_SIZES documents, and at each size PROBES new
# documents are measured (first and second ingestion), queries are timed through an Api process, a deletion is timed,
# and one Workers process is compared with two; once per corpus (the world's chronicles, and the same with one
# organisation named in every chunk and another in every other one). The table: bench/growth-table.py.
#
#   bench/document.sh growth                        # KB_SIZES=0,12,50,100,250 CORPORA="world frequent" PROBES=3
#   KB_SIZES=0,12 CORPORA=frequent BURST_LATENCY_MS=100 bench/document.sh growth
#
# Every run is its own process with its own redis-server and PostgreSQL (an empty knowledge base and an empty
# model cache). Prints each run's JSON lines, then a table of them.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
mode=${1:-runs}
CHUNKS=${CHUNKS:-40}
POOL_SIZES=${POOL_SIZES:-1 2 4}
MODELS=${MODELS:-embedded scripted}
KB_DOCUMENTS=${KB_DOCUMENTS:-4}
GROWTH_POOL=${GROWTH_POOL:-4}

dotnet build -c Release "$repo/bench/Shield.Bench" -v q -nologo >/dev/null
bench=("dotnet" "$repo/bench/Shield.Bench/bin/Release/net10.0/Shield.Bench.dll" --workload document --chunks "$CHUNKS")
lines=$(mktemp /tmp/shield-document-XXXXXX)
trap 'rm -f "$lines"' EXIT

if [[ "$mode" == "growth" ]]; then
  for corpus in ${CORPORA:-world frequent}; do
    "${bench[@]}" --model scripted --pool-size "$GROWTH_POOL" --kb-sizes "${KB_SIZES:-0,12,50,100,250}" --corpus "$corpus" \
      --probes "${PROBES:-3}" --queries "${QUERIES:-50}" --burst-latency-ms "${BURST_LATENCY_MS:-0}" | tee -a "$lines"
  done
  python3 "$repo/bench/growth-table.py" "$lines"
  exit 0
fi

for model in $MODELS; do
  for pool in $POOL_SIZES; do
    "${bench[@]}" --model "$model" --pool-size "$pool" | tee -a "$lines"
  done
  if [[ "$KB_DOCUMENTS" -gt 0 ]]; then
    "${bench[@]}" --model "$model" --pool-size "$GROWTH_POOL" --kb-documents "$KB_DOCUMENTS" | tee -a "$lines"
  fi
done

python3 - "$lines" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print()
print("| model | KB docs | ingestion | pool | chunks | chunks/s | extract | gleaning | summary | calls (LightRAG) | texts (LightRAG) | calls/chunk | texts/chunk | cache hits/misses (chat; embeddings) | load |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    c, k = r["model_calls"], r["cache"]
    print(f'| {r["model"]} | {r["kb_documents"]} | {r["ingestion"]} | {r["pool_size"]} | {r["chunks"]} | {r["chunks_per_s"]} '
          f'| {c["extract"]} | {c["gleaning"]} | {c["summary"]} | {r["calls"]} ({r["lightrag_calls"]}) | {r["texts_embedded"]} ({r["lightrag_texts"]}) '
          f'| {r["calls_per_chunk"]} | {r["texts_per_chunk"]} '
          f'| {k["chat_hits"]}/{k["chat_misses"]}; {k["embedding_hits"]}/{k["embedding_misses"]} | {r["load_average_1m"]} |')
firsts = [r for r in runs if r["ingestion"] == "first"]
for model in dict.fromkeys(r["model"] for r in firsts):
    empty = [r for r in firsts if r["model"] == model and r["kb_documents"] == 0]
    grown = [r for r in firsts if r["model"] == model and r["kb_documents"] > 0]
    for g in grown:
        e = next((r for r in empty if r["pool_size"] == g["pool_size"]), empty[-1] if empty else None)
        if e is None: continue
        pct = lambda a, b: f'{(a - b) * 100 / b:+.1f} %' if b else "n/a"
        print(f'\n{model}: growth (empty KB vs {g["kb_documents"]} documents): calls/chunk {e["calls_per_chunk"]} vs {g["calls_per_chunk"]} '
              f'({pct(g["calls_per_chunk"], e["calls_per_chunk"])}), texts/chunk {e["texts_per_chunk"]} vs {g["texts_per_chunk"]} '
              f'({pct(g["texts_per_chunk"], e["texts_per_chunk"])})')
PY
