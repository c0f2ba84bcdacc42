-- KEYS[1] job hash, KEYS[2] finished set, KEYS[3] event stream, KEYS[4] ingestion stream
-- ARGV[1] job id, ARGV[2] now (ISO-8601), ARGV[3] seconds a finished job is kept, ARGV[4] event retention,
-- ARGV[5] notify channel, ARGV[6] the ingestion stream's wake channel
-- Returns the status before the call ('' when the job is unknown); only a non-terminal job becomes cancelled.
-- What the job's processed chunks merged into the graph is still finalised (summaries, vectors), so a finalisation
-- entry is queued unless the job's last chunk already queued one; it ends nothing (the job stays cancelled).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status == 'completed' or status == 'failed' or status == 'cancelled' then return status end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'completed_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'chunks_processed', 'chunks_failed', 'chunks_total', 'finalizing', 'traceparent', 'tracestate')
local payload = cjson.encode({event_type = 'ingestion.cancelled', job_id = ARGV[1], timestamp = ARGV[2],
  data = {chunks_processed = tonumber(v[1]), chunks_failed = tonumber(v[2]), chunks_total = tonumber(v[3])}})
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'ingestion.cancelled', 'job', ARGV[1], 'data', payload)
redis.call('PUBLISH', ARGV[5], id)
if v[4] ~= '1' then
  redis.call('HSET', KEYS[1], 'finalizing', '1')
  redis.call('XADD', KEYS[4], '*', 'kind', 'finalize', 'job_id', ARGV[1], 'traceparent', v[5] or '', 'tracestate', v[6] or '')
  redis.call('PUBLISH', ARGV[6], 1)
end
return status
