"""The growth runs' JSON lines (bench/Shield.Bench --workload document --kb-sizes ...) as README's table."""
import json
import sys

runs = [json.loads(line) for path in sys.argv[1:] for line in open(path) if line.startswith("{")]
print()
print("| corpus | KB documents (chunks) | ingestion | chunks/s (each probe) | merge ms/chunk | finalisation ms/chunk "
      "| PG round trips/chunk (merge) | calls/chunk (LightRAG) | texts/chunk (LightRAG) | naive p50/p95 ms | local p50/p95 ms "
      "| deletion s | two Workers processes: chunks/s; burst of 4 documents |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    queries, two = r["queries"], r.get("two_workers_processes") or {}
    for ingestion in ("first", "second"):
        m = r[ingestion]
        trips = m["round_trips_per_chunk"]
        probes = ", ".join(str(x) for x in r[f"{ingestion}_chunks_per_s_runs"])
        first = ingestion == "first"
        processes = str(two.get(f"{ingestion}_chunks_per_s", "–"))
        if first and two:
            processes += (f'; {two["burst_chunks_per_s_one_process"]} → {two["burst_chunks_per_s_two_processes"]}/s '
                          f'({two["burst_speedup"]}×, model {two["burst_model_latency_ms"]} ms)')
        naive = f'{queries["naive"]["p50_ms"]}/{queries["naive"]["p95_ms"]}' if first else ""
        local = f'{queries["local"]["p50_ms"]}/{queries["local"]["p95_ms"]}' if first else ""
        deletion = r["deletion_seconds"] if first and r["deletion_seconds"] is not None else ""
        print(f'| {r["corpus"]} | {r["kb_documents"]} ({r["kb_chunks"]:,}) | {ingestion} | {m["chunks_per_s"]} ({probes}) '
              f'| {m["merge_ms_per_chunk"]} | {m["finalize_ms_per_chunk"]} | {trips["all"]} ({trips["merge"]}) '
              f'| {m["calls_per_chunk"]} ({m["lightrag_calls_per_chunk"] if first else 0}) '
              f'| {m["texts_per_chunk"]} ({m["lightrag_texts_per_chunk"] if first else 0}) | {naive} | {local} | {deletion} | {processes} |')


def change(a, b):
    return f"{(a - b) * 100 / b:+.1f} %" if b else "n/a"


for corpus in dict.fromkeys(r["corpus"] for r in runs):
    rows = [r for r in runs if r["corpus"] == corpus]
    base, last = rows[0], rows[-1]
    for ingestion in ("first", "second"):
        b, l = base[ingestion], last[ingestion]
        print(f'\n{corpus}, {ingestion} ingestion, {base["kb_chunks"]:,} → {last["kb_chunks"]:,} chunks: '
              f'chunks/s {b["chunks_per_s"]} → {l["chunks_per_s"]} ({change(l["chunks_per_s"], b["chunks_per_s"])}), '
              f'merge ms/chunk {b["merge_ms_per_chunk"]} → {l["merge_ms_per_chunk"]} ({change(l["merge_ms_per_chunk"], b["merge_ms_per_chunk"])})')
