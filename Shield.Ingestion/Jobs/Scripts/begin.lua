-- Shared by begin_chunks.lua and read_and_begin_chunks.lua (prepended when the scripts are loaded).
-- begin(hash, jobId, eventStream, now, retention) for one job of a batch: 2 when the job was cancelled (its chunks
-- are skipped), 1 when this call started it (its first chunk: status processing, one ingestion.started event),
-- 0 otherwise (already started, or unknown); plus the id of the event it appended, if any.
local function begin(hash, jobId, eventStream, now, retention)
  local status = redis.call('HGET', hash, 'status')
  if status == 'cancelled' then return 2, nil end
  if not status or redis.call('HSETNX', hash, 'started_at', now) == 0 then return 0, nil end
  if status == 'queued' then redis.call('HSET', hash, 'status', 'processing') end
  local payload = cjson.encode({event_type = 'ingestion.started', job_id = jobId, timestamp = now,
    data = {chunks_total = tonumber(redis.call('HGET', hash, 'chunks_total'))}})
  return 1, redis.call('XADD', eventStream, 'MAXLEN', '~', retention, '*', 'type', 'ingestion.started', 'job', jobId, 'data', payload)
end

