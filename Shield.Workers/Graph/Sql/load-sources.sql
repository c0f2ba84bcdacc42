-- Each element's first 200 source chunks in chunk-id order (LightRAG's max_source_ids_per_entity), read from the
-- fragments' indexes in order and stopped there; with the source URI (the first job's) of the first 20, the file paths
-- LightRAG puts in the vector payload. (Fragments' chunk ids compare bytewise, job_chunks' in the database's collation,
-- whose index the lookup must use.)
--   $1, $2 the keys
SELECT k.s, k.t, c.chunk_id,
       CASE WHEN c.n <= 20 THEN (SELECT j.source_uri FROM job_chunks j WHERE j.chunk_id = c.chunk_id COLLATE "default" ORDER BY j.created_at, j.job_id LIMIT 1) END
FROM unnest($1::text[], $2::text[]) AS k(s, t)
LEFT JOIN graph_element_states st ON st.source_name = k.s AND st.target_name = k.t
CROSS JOIN LATERAL (
  SELECT x.chunk_id, row_number() OVER (ORDER BY x.chunk_id) AS n FROM (
    (SELECT f.chunk_id FROM graph_entity_fragments f
     WHERE k.t = '' AND st.fragments > 0 AND f.entity_name = k.s ORDER BY f.chunk_id LIMIT 200)
    UNION ALL
    (SELECT f.chunk_id FROM graph_relationship_fragments f
     WHERE k.t <> '' AND f.source_name = k.s AND f.target_name = k.t ORDER BY f.chunk_id LIMIT 200)
    UNION ALL
    (SELECT DISTINCT e.chunk_id FROM (
       (SELECT f.chunk_id FROM graph_relationship_fragments f
        WHERE k.t = '' AND st.fragments = 0 AND f.source_name = k.s ORDER BY f.chunk_id LIMIT 200)
       UNION ALL
       (SELECT f.chunk_id FROM graph_relationship_fragments f
        WHERE k.t = '' AND st.fragments = 0 AND f.target_name = k.s ORDER BY f.chunk_id LIMIT 200)) AS e
     ORDER BY e.chunk_id LIMIT 200)) AS x) AS c
ORDER BY 1, 2, 3;
