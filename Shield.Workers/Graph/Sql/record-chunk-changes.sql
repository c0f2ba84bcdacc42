-- A job holds a text that is already processed under the same settings: every node and edge the text's stored
-- fragments speak of (an edge's endpoints included) is recorded as changed by the job, for its finalisation.
--   $1 the job, $2 the chunk id
INSERT INTO job_graph_changes (job_id, source_name, target_name)
SELECT $1, s, t FROM (
  SELECT entity_name AS s, '' AS t FROM graph_entity_fragments WHERE chunk_id = $2
  UNION SELECT source_name, target_name FROM graph_relationship_fragments WHERE chunk_id = $2
  UNION SELECT source_name, '' FROM graph_relationship_fragments WHERE chunk_id = $2
  UNION SELECT target_name, '' FROM graph_relationship_fragments WHERE chunk_id = $2) AS keys
ORDER BY s, t
ON CONFLICT DO NOTHING;
