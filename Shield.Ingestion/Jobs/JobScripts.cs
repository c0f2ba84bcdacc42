namespace Shield.Ingestion.Jobs;

/// <summary>
/// Lua scripts that move a job's Redis state and append its events in one atomic step. Because the state change
/// and the event are one step, a chunk delivered twice is counted once and every job gets exactly one
/// <c>ingestion.started</c> and exactly one terminal event, however many workers race on it.
/// </summary>
internal static class JobScripts
{
    // begin(hash, jobId, eventStream, now, retention) for one job of a batch: 2 when the job was cancelled (its chunks
    // are skipped), 1 when this call started it (its first chunk: status processing, one ingestion.started event),
    // 0 otherwise (already started, or unknown); plus the id of the event it appended, if any.
    private const string BeginFunction = """
        local function begin(hash, jobId, eventStream, now, retention)
          local status = redis.call('HGET', hash, 'status')
          if status == 'cancelled' then return 2, nil end
          if not status or redis.call('HSETNX', hash, 'started_at', now) == 0 then return 0, nil end
          if status == 'queued' then redis.call('HSET', hash, 'status', 'processing') end
          local payload = cjson.encode({event_type = 'ingestion.started', job_id = jobId, timestamp = now,
            data = {chunks_total = tonumber(redis.call('HGET', hash, 'chunks_total'))}})
          return 1, redis.call('XADD', eventStream, 'MAXLEN', '~', retention, '*', 'type', 'ingestion.started', 'job', jobId, 'data', payload)
        end

        """;

    // KEYS[1] event stream, KEYS[2..] the hashes of the jobs a consumer's batch of chunks belongs to
    // ARGV[1] now (ISO-8601), ARGV[2] event retention, ARGV[3] notify channel, ARGV[4..] the job ids, in KEYS' order
    // Returns one answer of begin() per job: one round trip for the jobs of a batch that the process has not asked
    // about within the last second.
    public const string BeginChunks = BeginFunction + """
        local answers = {}
        local appended = nil
        for i = 2, #KEYS do
          local answer, id = begin(KEYS[i], ARGV[i + 2], KEYS[1], ARGV[1], ARGV[2])
          answers[#answers + 1] = answer
          appended = id or appended
        end
        if appended then redis.call('PUBLISH', ARGV[3], appended) end
        return answers
        """;

    // KEYS[1] ingestion stream, KEYS[2] event stream
    // ARGV[1] consumer group, ARGV[2] consumer, ARGV[3] most entries, ARGV[4] now (ISO-8601), ARGV[5] event retention,
    // ARGV[6] notify channel, ARGV[7] job hash key prefix
    // Reads the consumer's next entries (XREADGROUP … >, never blocking) and begins their jobs as BeginChunks does, in
    // one round trip: a consumer's first read after it was idle, so a new job's first chunk starts one round trip
    // after the wake-up. (Busy consumers read with a plain XREADGROUP: turning every entry into Lua values and back
    // costs Redis about 15 µs an entry.) Returns {entries as XREADGROUP gives them, job ids, begin() answers in the
    // same order}.
    // The job hashes are named in the script from the entries' job_id fields (as BullMQ's scripts derive their keys),
    // which a single Redis allows; a Redis Cluster would need the keys in one hash slot.
    public const string ReadAndBeginChunks = BeginFunction + """
        local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
        if not read then return {{}, {}, {}} end
        local entries = read[1][2]
        local jobs, answers, seen = {}, {}, {}
        local appended = nil
        for _, entry in ipairs(entries) do
          local fields = entry[2]
          if fields then
            for i = 1, #fields, 2 do
              if fields[i] == 'job_id' then
                local jobId = fields[i + 1]
                if not seen[jobId] then
                  seen[jobId] = true
                  local answer, id = begin(ARGV[7] .. jobId, jobId, KEYS[2], ARGV[4], ARGV[5])
                  jobs[#jobs + 1] = jobId
                  answers[#answers + 1] = answer
                  appended = id or appended
                end
                break
              end
            end
          end
        end
        if appended then redis.call('PUBLISH', ARGV[6], appended) end
        return {entries, jobs, answers}
        """;

    // KEYS[1] event stream, KEYS[2] ingestion stream, KEYS[3] completion-rate bucket,
    // KEYS[2 + 2j], KEYS[3 + 2j] the j-th job's hash and set of finished chunk indexes (j = 1, 2, …)
    // ARGV[1] now (ISO-8601), ARGV[2] now (unix ms), ARGV[3] seconds a finished job is kept, ARGV[4] event retention,
    // ARGV[5] notify channel, ARGV[6] seconds a rate bucket is kept, ARGV[7] consumer group,
    // then per job: its id, its number of outcomes n, and n × (chunk index, 'p' processed | 'f' failed, error ('' for
    //   none), stream entry id ('' = do not acknowledge))
    // Returns per job, in order: {processed, failed, total, status ('' for an unknown job), dispositions, acknowledged}:
    //   its counts and status after the call; one character per outcome for what it did ('r' counted, 't' counted and
    //   ended the job, 'd' duplicate, 'c' job cancelled, 'u' unknown job) and one per outcome, '1' when its entry was
    //   XACKed here.
    // Each counted outcome appends its own ingestion.progress event (and the job's last one its terminal event); one
    // PUBLISH wakes event readers for the whole call. An entry is acknowledged in the same step unless its job is now
    // finished: a finished job's PostgreSQL row must be written before its entry is acknowledged (so a crash in between
    // redelivers it), which the caller then does.
    // A job's outcomes are applied together (one read of its hash, one write of each counter), and the progress event's
    // JSON is assembled from strings rather than cjson: Redis's work per outcome is its SADD and its XADD.
    public const string RecordChunkOutcomes = """
        local appended = nil
        local function append(jobId, eventType, payload)
          appended = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', eventType, 'job', jobId, 'data', payload)
        end

        local results, acknowledge = {}, {}
        local completions = 0
        local a, j = 8, 0
        while a <= #ARGV do
          j = j + 1
          local hash, finished, jobId, n = KEYS[2 + 2 * j], KEYS[3 + 2 * j], ARGV[a], tonumber(ARGV[a + 1])
          a = a + 2
          local v = redis.call('HMGET', hash, 'status', 'chunks_processed', 'chunks_failed', 'chunks_total', 'created_at_ms', 'error')
          local status = v[1]
          local processed, failed, total = tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
          local firstError, errorIsNew = v[6], false
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

              if processed + failed >= total then
                status = 'completed'
                if failed > 0 then status = 'failed' end
                redis.call('HSET', hash, 'status', status, 'completed_at', ARGV[1])
                -- The TTL starts at the terminal state, not at creation: a long job never loses its record midway.
                redis.call('EXPIRE', hash, ARGV[3])
                redis.call('EXPIRE', finished, ARGV[3])
                local duration = (tonumber(ARGV[2]) - tonumber(v[5] or ARGV[2])) / 1000
                local data = {chunks_processed = processed, chunks_failed = failed, chunks_total = total,
                  duration_seconds = duration}
                if firstError then data.error = firstError end
                append(jobId, 'ingestion.' .. status, cjson.encode({event_type = 'ingestion.' .. status, job_id = jobId,
                  timestamp = ARGV[1], data = data}))
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
        return results
        """;

    // KEYS[1] job hash, KEYS[2] finished set, KEYS[3] event stream
    // ARGV[1] job id, ARGV[2] now (ISO-8601), ARGV[3] seconds a finished job is kept, ARGV[4] event retention, ARGV[5] notify channel
    // Returns the status before the call ('' when the job is unknown); only a non-terminal job becomes cancelled.
    public const string Cancel = """
        local status = redis.call('HGET', KEYS[1], 'status')
        if not status then return '' end
        if status == 'completed' or status == 'failed' or status == 'cancelled' then return status end
        redis.call('HSET', KEYS[1], 'status', 'cancelled', 'completed_at', ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        local v = redis.call('HMGET', KEYS[1], 'chunks_processed', 'chunks_failed', 'chunks_total')
        local payload = cjson.encode({event_type = 'ingestion.cancelled', job_id = ARGV[1], timestamp = ARGV[2],
          data = {chunks_processed = tonumber(v[1]), chunks_failed = tonumber(v[2]), chunks_total = tonumber(v[3])}})
        local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'ingestion.cancelled', 'job', ARGV[1], 'data', payload)
        redis.call('PUBLISH', ARGV[5], id)
        return status
        """;

    // KEYS[1] job hash, KEYS[2] finished set, KEYS[3] ingestion stream, KEYS[4] dead-letter stream, KEYS[5] event stream
    // ARGV[1] job id, ARGV[2] dead-letter entry id, ARGV[3] chunk index, ARGV[4] now, ARGV[5] event retention,
    // ARGV[6] notify channel, ARGV[7..] the chunk's original field/value pairs
    // Moves one dead-lettered chunk back onto the queue and un-counts its failure, in one step, so a retried chunk
    // is neither lost (removed from the DLQ but not queued) nor doubled (queued twice).
    public const string Requeue = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return -2 end
        if redis.call('XDEL', KEYS[4], ARGV[2]) == 0 then return 0 end
        if redis.call('SREM', KEYS[2], ARGV[3]) == 1 then
          redis.call('HINCRBY', KEYS[1], 'chunks_failed', -1)
        end
        redis.call('HSET', KEYS[1], 'status', 'processing')
        redis.call('HDEL', KEYS[1], 'completed_at', 'error')
        redis.call('PERSIST', KEYS[1])
        redis.call('PERSIST', KEYS[2])
        local fields = {}
        for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
        redis.call('XADD', KEYS[3], '*', unpack(fields))
        return 1
        """;
}
