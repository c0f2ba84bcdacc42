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
  SELECT s, t, k, x, md5(x)::uuid AS h, n FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::int[]) AS u(s, t, k, x, n)
  -- An edge's description is kept as one of its endpoint's only while no chunk describes that node (it is the node's
  -- description then); a node that loses its last own fragment does so by a removal, and is rebuilt with them.
  WHERE k = 0 OR NOT EXISTS (SELECT 1 FROM graph_element_states st WHERE st.source_name = u.s AND st.target_name = '' AND st.fragments > 0)),
-- A node nobody described until this chunk: the descriptions it had from its edges go.
undescribed AS (
  DELETE FROM graph_descriptions d
  USING unnest($7::text[], $8::text[], $9::int[]) AS u(s, t, f), graph_element_states st
  WHERE u.t = '' AND u.f > 0 AND st.source_name = u.s AND st.target_name = '' AND st.fragments = 0
    AND d.source_name = u.s AND d.target_name = '' AND d.kind = 1
  RETURNING 1),
described AS (
  INSERT INTO graph_descriptions AS d (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
  SELECT s, t, k, h, x, n, $1, false FROM description_deltas ORDER BY s, t, k, h
  ON CONFLICT (source_name, target_name, kind, description_hash) DO UPDATE SET
    fragments = d.fragments + EXCLUDED.fragments,
    first_chunk_id = CASE WHEN EXCLUDED.fragments > 0 AND (d.fragments <= 0 OR EXCLUDED.first_chunk_id < d.first_chunk_id)
                          THEN EXCLUDED.first_chunk_id ELSE d.first_chunk_id END,
    -- A description said again after it was gone is new: no summary covers it.
    covered = d.covered AND d.fragments > 0
  RETURNING d.source_name, d.target_name, d.kind, (d.xmax = 0) AS inserted),
-- A new description row is one more distinct description of its element. (A row that loses its last fragment, or
-- gets one back, only does so by a removal, and a removal has the element rebuilt, counts included: so only
-- insertions are counted here, and no join is needed.)
states AS (
  INSERT INTO graph_element_states AS st (source_name, target_name, version, published_version, fragments, endpoint_fragments,
                                          descriptions, endpoint_descriptions, weight, needs_replay)
  SELECT s, t, 1, 0, sum(f), sum(e), sum(d0), sum(d1), sum(w), bool_or(removed) FROM (
    SELECT s, t, f, e, 0 AS d0, 0 AS d1, w, removed
    FROM unnest($7::text[], $8::text[], $9::int[], $10::int[], $11::numeric[], $12::bool[]) AS u(s, t, f, e, w, removed)
    UNION ALL
    SELECT source_name, target_name, 0, 0, (kind = 0)::int, (kind = 1)::int, 0, false FROM described WHERE inserted) AS deltas
  GROUP BY s, t ORDER BY s, t
  ON CONFLICT (source_name, target_name) DO UPDATE SET
    version = st.version + 1,
    fragments = st.fragments + EXCLUDED.fragments,
    endpoint_fragments = st.endpoint_fragments + EXCLUDED.endpoint_fragments,
    descriptions = st.descriptions + EXCLUDED.descriptions,
    endpoint_descriptions = CASE WHEN st.fragments = 0 AND EXCLUDED.fragments > 0 THEN 0
                                 ELSE st.endpoint_descriptions + EXCLUDED.endpoint_descriptions END,
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
SELECT (SELECT count(*) FROM states), (SELECT count(*) FROM typed), (SELECT count(*) FROM keyworded), (SELECT count(*) FROM undescribed);
