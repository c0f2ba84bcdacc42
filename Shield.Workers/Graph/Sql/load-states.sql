-- What a finalisation reads first of each node and edge it finalises: its working state and what is published of it.
--   $1, $2 the keys (source, target; target '' for a node)
SELECT k.s, k.t, st.version, st.fragments, st.endpoint_fragments, st.descriptions, st.endpoint_descriptions, st.weight, st.needs_replay,
       coalesce(e.summary, r.summary), coalesce(e.point_hash, r.point_hash), coalesce(e.view_hash, r.view_hash), st.published_version
FROM unnest($1::text[], $2::text[]) AS k(s, t)
LEFT JOIN graph_element_states st ON st.source_name = k.s AND st.target_name = k.t
LEFT JOIN graph_entities e ON k.t = '' AND e.name = k.s
LEFT JOIN graph_relationships r ON k.t <> '' AND r.source_name = k.s AND r.target_name = k.t;
