-- KEYS[1] event stream, KEYS[2] ingestion stream, KEYS[3] completion-rate bucket,
-- KEYS[2 + 2j], KEYS[3 + 2j] the j-th job's hash and set of finished chunk indexes (j = 1, 2, ...)
-- ARGV[1] now (ISO-8601), ARGV[2] now (unix ms), ARGV[3] (unused: a job's record expires when it is finalised),
-- ARGV[4] event retention, ARGV[5] notify channel, ARGV[6] seconds a rate bucket is kept, ARGV[7] consumer group,
-- ARGV[8] the ingestion stream's wake channel,
-- then per job: its id, its number of outcomes n, and n x (chunk index, 'p' processed | 'f' failed, error ('' for
--   none), stream entry id ('' = do not acknowledge))
-- Returns per job, in order: {processed, failed, total, status ('' for an unknown job), dispositions, acknowledged}:
--   its counts and status after the call; one character per outcome for what it did ('r' counted, 't' counted and
--   was the job's last chunk, 'd' duplicate, 'c' job cancelled, 'u' unknown job) and one per outcome, '1' when its
--   entry was XACKed here.
-- Each counted outcome appends its own ingestion.progress event; one PUBLISH wakes event readers for the whole call.
-- A job's last chunk does not end the job: it queues the job's finalisation (an entry kind = finalize on the
-- ingestion stream, with the job's trace context), which summarises and embeds what the job changed in the graph
-- and then ends the job with its one terminal event (finalize_job.lua). The flag 'finalizing' makes that happen once.
-- A job's outcomes are applied together (one read of its hash, one write of each counter), and the progress event's
-- JSON is assembled from strings rather than cjson: Redis's work per outcome is its SADD and its XADD.
local appended = nil
local function append(jobId, eventType, payload)
  appended = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', eventType, 'job', jobId, 'data', payload)
end

local results, acknowledge = {}, {}
local completions = 0
local finalizations = 0
local a, j = 9, 0
while a <= #ARGV do
  j = j + 1
  local hash, finished, jobId, n = KEYS[2 + 2 * j], KEYS[3 + 2 * j], ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local v = redis.call('HMGET', hash, 'status', 'chunks_processed', 'chunks_failed', 'chunks_total', 'error', 'finalizing')
  local status = v[1]
  local processed, failed, total = tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
  local firstError, errorIsNew = v[5], false
  local finalizing = v[6] == '1'
  local addedProcessed, addedFailed = 0, 0
  local progressHead = '{"event_type":"ingestion.progress","job_id":"' .. jobId .. '","timestamp":"' .. ARGV[1]
    .. '","data":{"chunks_processed":'
  local codes, acks = {}, {}
  for i = 1, n do
    local chunk, kind, err, entry = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    a = a + 4
    local code
    if not status then
      code = 'u'
    elseif status == 'cancelled' then
      code = 'c'
    elseif redis.call('SADD', finished, chunk) == 0 then
      code = 'd'
    else
      code = 'r'
      if kind == 'f' then
        failed = failed + 1
        addedFailed = addedFailed + 1
        if not firstError and err ~= '' then firstError, errorIsNew = err, true end
      else
        processed = processed + 1
        addedProcessed = addedProcessed + 1
      end
      local percent = 0
      if total > 0 then percent = math.floor((processed + failed) * 10000 / total + 0.5) / 100 end
      append(jobId, 'ingestion.progress', progressHead .. processed .. ',"chunks_failed":' .. failed
        .. ',"chunks_total":' .. total .. ',"percent_complete":' .. percent .. '}}')

      if processed + failed >= total and not finalizing then
        finalizing = true
        redis.call('HSET', hash, 'finalizing', '1')
        local context = redis.call('HMGET', hash, 'traceparent', 'tracestate')
        redis.call('XADD', KEYS[2], '*', 'kind', 'finalize', 'job_id', jobId,
          'traceparent', context[1] or '', 'tracestate', context[2] or '')
        finalizations = finalizations + 1
        code = 't'
      end
    end
    codes[i] = code
    local finishedJob = status == 'completed' or status == 'failed' or status == 'cancelled'
    if entry ~= '' and (code == 'u' or code == 'c' or not finishedJob) then
      acknowledge[#acknowledge + 1] = entry
      acks[i] = '1'
    else
      acks[i] = '0'
    end
  end
  if addedProcessed > 0 then redis.call('HINCRBY', hash, 'chunks_processed', addedProcessed) end
  if addedFailed > 0 then redis.call('HINCRBY', hash, 'chunks_failed', addedFailed) end
  if errorIsNew then redis.call('HSETNX', hash, 'error', firstError) end
  completions = completions + addedProcessed
  results[j] = {processed, failed, total, status or '', table.concat(codes), table.concat(acks)}
end
if completions > 0 then
  redis.call('INCRBY', KEYS[3], completions)
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
if #acknowledge > 0 then redis.call('XACK', KEYS[2], ARGV[7], unpack(acknowledge)) end
if appended then redis.call('PUBLISH', ARGV[5], appended) end
if finalizations > 0 then redis.call('PUBLISH', ARGV[8], finalizations) end
return results
