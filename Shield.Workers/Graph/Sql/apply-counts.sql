-- What one chunk's merge (or release) changed in the working state of the nodes and edges it touches, as counts:
-- constant work per node and edge, whatever its history. Runs under the elements' advisory locks, so no other
-- transaction writes these rows meanwhile. Zero rows left by a removal stay until the element's rebuild (a removal
-- always asks for one) and are never read: every reader asks for fragments > 0.
--   $1  the chunk id (the first chunk of what it adds)
--   $2-$6   description deltas: source, target, kind, description, fragments (+ added, - removed)
--   $7-$12  element deltas: source, target, own fragments, endpoint fragments, weight, a fragment was removed
--   $13-$15 type deltas: entity, type, fragments
--   $16-$19 keyword deltas: source, target, keyword, fragments
WITH description_deltas AS (
  SELECT s, t, k, x, md5(x)::uuid AS h, n FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::int[]) AS u(s, t, k, x, n)),
described AS (
  INSERT INTO graph_descriptions AS d (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
  SELECT s, t, k, h, x, n, $1, false FROM description_deltas ORDER BY s, t, k, h
  ON CONFLICT (source_name, target_name, kind, description_hash) DO UPDATE SET
    fragments = d.fragments + EXCLUDED.fragments,
    first_chunk_id = CASE WHEN EXCLUDED.fragments > 0 AND (d.fragments <= 0 OR EXCLUDED.first_chunk_id < d.first_chunk_id)
                          THEN EXCLUDED.first_chunk_id ELSE d.first_chunk_id END,
    -- A description said again after it was gone is new: no summary covers it.
    covered = d.covered AND d.fragments > 0
  RETURNING d.source_name, d.target_name, d.kind, d.description_hash, d.fragments),
-- A description row that comes to hold fragments is one more distinct description; one that loses its last, one fewer.
distinct_deltas AS (
  SELECT r.source_name AS s, r.target_name AS t, r.kind AS k,
         sum(CASE WHEN r.fragments > 0 AND r.fragments - dd.n <= 0 THEN 1
                  WHEN r.fragments <= 0 AND r.fragments - dd.n > 0 THEN -1 ELSE 0 END)::int AS n
  FROM described r JOIN description_deltas dd ON dd.s = r.source_name AND dd.t = r.target_name AND dd.k = r.kind AND dd.h = r.description_hash
  GROUP BY 1, 2, 3),
element_deltas AS (
  SELECT s, t, f, e, w, removed FROM unnest($7::text[], $8::text[], $9::int[], $10::int[], $11::numeric[], $12::bool[]) AS u(s, t, f, e, w, removed)),
states AS (
  INSERT INTO graph_element_states AS st (source_name, target_name, version, fragments, endpoint_fragments, descriptions,
                                          endpoint_descriptions, weight, needs_replay)
  SELECT ed.s, ed.t, 1, ed.f, ed.e, coalesce(own.n, 0), coalesce(endpoint.n, 0), ed.w, ed.removed
  FROM element_deltas ed
  LEFT JOIN distinct_deltas own ON own.s = ed.s AND own.t = ed.t AND own.k = 0
  LEFT JOIN distinct_deltas endpoint ON endpoint.s = ed.s AND endpoint.t = ed.t AND endpoint.k = 1
  ORDER BY ed.s, ed.t
  ON CONFLICT (source_name, target_name) DO UPDATE SET
    version = st.version + 1,
    fragments = st.fragments + EXCLUDED.fragments,
    endpoint_fragments = st.endpoint_fragments + EXCLUDED.endpoint_fragments,
    descriptions = st.descriptions + EXCLUDED.descriptions,
    endpoint_descriptions = st.endpoint_descriptions + EXCLUDED.endpoint_descriptions,
    weight = st.weight + EXCLUDED.weight,
    needs_replay = st.needs_replay OR EXCLUDED.needs_replay
  RETURNING 1),
typed AS (
  INSERT INTO graph_entity_types AS y (entity_name, entity_type, fragments, first_chunk_id)
  SELECT n, y, c, $1 FROM unnest($13::text[], $14::text[], $15::int[]) AS u(n, y, c) ORDER BY n, y
  ON CONFLICT (entity_name, entity_type) DO UPDATE SET
    fragments = y.fragments + EXCLUDED.fragments,
    first_chunk_id = CASE WHEN EXCLUDED.fragments > 0 AND (y.fragments <= 0 OR EXCLUDED.first_chunk_id < y.first_chunk_id)
                          THEN EXCLUDED.first_chunk_id ELSE y.first_chunk_id END
  RETURNING 1),
keyworded AS (
  INSERT INTO graph_relationship_keywords AS w (source_name, target_name, keyword, fragments)
  SELECT s, t, k, c FROM unnest($16::text[], $17::text[], $18::text[], $19::int[]) AS u(s, t, k, c) ORDER BY s, t, k
  ON CONFLICT (source_name, target_name, keyword) DO UPDATE SET fragments = w.fragments + EXCLUDED.fragments
  RETURNING 1)
SELECT (SELECT count(*) FROM states), (SELECT count(*) FROM typed), (SELECT count(*) FROM keyworded);
