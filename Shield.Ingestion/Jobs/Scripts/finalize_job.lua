-- KEYS[1] job hash, KEYS[2] finished set, KEYS[3] event stream
-- ARGV[1] job id, ARGV[2] now (ISO-8601), ARGV[3] now (unix ms), ARGV[4] seconds a finished job is kept,
-- ARGV[5] event retention, ARGV[6] notify channel, ARGV[7] why the finalisation itself failed ('' when it did not)
-- Ends a job once its finalisation (summaries, vectors) is done: status completed, or failed when a chunk failed
-- (or the finalisation itself gave up, whose reason then becomes the job's error),
-- its record's TTL from now, and its one terminal event. Returns {outcome, status, processed, failed, total, first error or ''}:
--   'ended'     this call ended the job (only one caller ever gets it);
--   'ended already' the job had ended (a repeated finalisation);
--   'cancelled' the job was cancelled meanwhile: it keeps that state and gets no other terminal event;
--   'not done'  chunks were re-queued since the finalisation was queued (a retry): the next last chunk queues another;
--   'unknown'   Redis no longer has the job.
local v = redis.call('HMGET', KEYS[1], 'status', 'chunks_processed', 'chunks_failed', 'chunks_total', 'created_at_ms', 'error', 'finalizing')
local status = v[1]
if not status then return {'unknown', '', 0, 0, 0, ''} end
local processed, failed, total = tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
if status == 'cancelled' then
  redis.call('HDEL', KEYS[1], 'finalizing')
  return {'cancelled', status, processed, failed, total, v[6] or ''}
end
if status == 'completed' or status == 'failed' then return {'ended already', status, processed, failed, total, v[6] or ''} end
if processed + failed < total then
  redis.call('HDEL', KEYS[1], 'finalizing')
  return {'not done', status, processed, failed, total, v[6] or ''}
end
status = 'completed'
if failed > 0 or ARGV[7] ~= '' then status = 'failed' end
if ARGV[7] ~= '' and not v[6] then
  v[6] = ARGV[7]
  redis.call('HSET', KEYS[1], 'error', ARGV[7])
end
redis.call('HSET', KEYS[1], 'status', status, 'completed_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'finalizing')
-- The TTL starts at the terminal state, not at creation: a long job never loses its record midway.
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
local data = {chunks_processed = processed, chunks_failed = failed, chunks_total = total,
  duration_seconds = (tonumber(ARGV[3]) - tonumber(v[5] or ARGV[3])) / 1000}
if v[6] then data.error = v[6] end
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'type', 'ingestion.' .. status, 'job', ARGV[1],
  'data', cjson.encode({event_type = 'ingestion.' .. status, job_id = ARGV[1], timestamp = ARGV[2], data = data}))
redis.call('PUBLISH', ARGV[6], id)
return {'ended', status, processed, failed, total, v[6] or ''}
