-- A rebuild's read of everything the edges ending at some nodes say (the description of a node nobody described as an
-- entity, and what its endpoint counts are rebuilt from): work in proportion to those nodes' history, paid only by a rebuild.
--   $1 the node names
SELECT source_name AS node, chunk_id, description FROM graph_relationship_fragments WHERE source_name = ANY($1)
UNION ALL
SELECT target_name, chunk_id, description FROM graph_relationship_fragments WHERE target_name = ANY($1);
