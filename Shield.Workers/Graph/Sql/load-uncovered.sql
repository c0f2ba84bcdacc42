-- The descriptions no summary covers, of the kind that describes each element (a node nobody described as an entity
-- is described by its edges): what is listed after the summary. Bounded by the summary rules, not by the history; the
-- kind is settled per key first, so the uncovered-descriptions index is read for that kind alone (a node's edges'
-- descriptions are many and rarely the ones that describe it).
--   $1, $2 the keys
SELECT d.source_name, d.target_name, d.description_hash, d.description, d.first_chunk_id
FROM (SELECT k.s, k.t, CASE WHEN k.t <> '' OR st.fragments > 0 THEN 0 ELSE 1 END::smallint AS kind
      FROM unnest($1::text[], $2::text[]) AS k(s, t)
      JOIN graph_element_states st ON st.source_name = k.s AND st.target_name = k.t) AS k
CROSS JOIN LATERAL (
  SELECT d.source_name, d.target_name, d.description_hash, d.description, d.first_chunk_id FROM graph_descriptions d
  WHERE d.source_name = k.s AND d.target_name = k.t AND d.kind = k.kind AND NOT d.covered AND d.fragments > 0
  OFFSET 0) AS d;  -- not flattened: the key and its kind first, then the index for just those
