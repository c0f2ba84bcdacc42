namespace Shield.Ingestion.Jobs;

/// <summary>
/// Lua scripts that move a job's Redis state and append its events in one atomic step. Because the state change
/// and the event are one step, a chunk delivered twice is counted once and every job gets exactly one
/// <c>ingestion.started</c> and exactly one terminal event, however many workers race on it.
/// </summary>
internal static class JobScripts
{
    // KEYS[1] event stream, KEYS[2..] the hashes of the jobs a consumer's batch of chunks belongs to
    // ARGV[1] now (ISO-8601), ARGV[2] event retention, ARGV[3] notify channel, ARGV[4..] the job ids, in KEYS' order
    // Returns one answer per job: 1 when this call started the job (its first chunk), 0 otherwise, 2 when the job was
    // cancelled (its chunks are skipped). One round trip per batch where a worker used to check for cancellation and
    // mark the start per chunk.
    public const string BeginChunks = """
        local answers = {}
        local appended = nil
        for i = 2, #KEYS do
          local key, jobId = KEYS[i], ARGV[i + 2]
          local answer = 0
          local status = redis.call('HGET', key, 'status')
          if status == 'cancelled' then
            answer = 2
          elseif status and redis.call('HSETNX', key, 'started_at', ARGV[1]) == 1 then
            if status == 'queued' then redis.call('HSET', key, 'status', 'processing') end
            local payload = cjson.encode({event_type = 'ingestion.started', job_id = jobId, timestamp = ARGV[1],
              data = {chunks_total = tonumber(redis.call('HGET', key, 'chunks_total'))}})
            appended = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'type', 'ingestion.started', 'job', jobId, 'data', payload)
            answer = 1
          end
          answers[#answers + 1] = answer
        end
        if appended then redis.call('PUBLISH', ARGV[3], appended) end
        return answers
        """;

    // KEYS[1] event stream, KEYS[2] ingestion stream, KEYS[3] completion-rate bucket,
    // KEYS[4 + 2(i-1)], KEYS[5 + 2(i-1)] the i-th outcome's job hash and set of finished chunk indexes
    // ARGV[1] now (ISO-8601), ARGV[2] now (unix ms), ARGV[3] seconds a finished job is kept, ARGV[4] event retention,
    // ARGV[5] notify channel, ARGV[6] seconds a rate bucket is kept, ARGV[7] consumer group,
    // ARGV[8 + 5(i-1) ..] the i-th outcome: job id, chunk index, 'processed' | 'failed', error (may be empty),
    //   its stream entry id ('' = do not acknowledge)
    // Returns one array per outcome, in order: {applied (1 new, 0 duplicate, 2 job cancelled, -1 unknown job), processed,
    //   failed, total, status, terminal (1 if this outcome ended the job), acknowledged (1 when its entry was XACKed here)}
    // Each counted outcome appends its own ingestion.progress event (and the job's last one its terminal event); one
    // PUBLISH wakes event readers for the whole call. An entry is acknowledged in the same step unless its job is now
    // finished: a finished job's PostgreSQL row must be written before its entry is acknowledged (so a crash in between
    // redelivers it), which the caller then does.
    public const string RecordChunkOutcomes = """
        local appended = nil
        local function append(jobId, eventType, data)
          local payload = cjson.encode({event_type = eventType, job_id = jobId, timestamp = ARGV[1], data = data})
          appended = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', eventType, 'job', jobId, 'data', payload)
        end

        local function outcome(hash, finished, jobId, index, kind, err)
          local function snapshot(applied, terminal)
            local v = redis.call('HMGET', hash, 'chunks_processed', 'chunks_failed', 'chunks_total', 'status')
            return {applied, tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), v[4], terminal}
          end
          local status = redis.call('HGET', hash, 'status')
          if not status then return {-1, 0, 0, 0, '', 0} end
          if status == 'cancelled' then return snapshot(2, 0) end
          if redis.call('SADD', finished, index) == 0 then return snapshot(0, 0) end

          local failedOutcome = kind == 'failed'
          redis.call('HINCRBY', hash, failedOutcome and 'chunks_failed' or 'chunks_processed', 1)
          if failedOutcome and err ~= '' then redis.call('HSETNX', hash, 'error', err) end
          if not failedOutcome then redis.call('INCR', KEYS[3]) end

          local v = redis.call('HMGET', hash, 'chunks_processed', 'chunks_failed', 'chunks_total', 'created_at_ms')
          local processed, failed, total = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
          local percent = 0
          if total > 0 then percent = math.floor((processed + failed) * 10000 / total + 0.5) / 100 end
          append(jobId, 'ingestion.progress', {chunks_processed = processed, chunks_failed = failed,
            chunks_total = total, percent_complete = percent})

          if processed + failed < total then return snapshot(1, 0) end

          local final = 'completed'
          if failed > 0 then final = 'failed' end
          redis.call('HSET', hash, 'status', final, 'completed_at', ARGV[1])
          -- The TTL starts at the terminal state, not at creation: a long job never loses its record midway.
          redis.call('EXPIRE', hash, ARGV[3])
          redis.call('EXPIRE', finished, ARGV[3])
          local duration = (tonumber(ARGV[2]) - tonumber(v[4] or ARGV[2])) / 1000
          local data = {chunks_processed = processed, chunks_failed = failed, chunks_total = total,
            duration_seconds = duration}
          local firstError = redis.call('HGET', hash, 'error')
          if firstError then data.error = firstError end
          append(jobId, 'ingestion.' .. final, data)
          return snapshot(1, 1)
        end

        local results = {}
        local acknowledge = {}
        for i = 0, (#ARGV - 7) / 5 - 1 do
          local a = 8 + 5 * i
          local result = outcome(KEYS[4 + 2 * i], KEYS[5 + 2 * i], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
          result[7] = 0
          local finishedJob = result[5] == 'completed' or result[5] == 'failed' or result[5] == 'cancelled'
          if ARGV[a + 4] ~= '' and (result[1] == -1 or result[1] == 2 or not finishedJob) then
            acknowledge[#acknowledge + 1] = ARGV[a + 4]
            result[7] = 1
          end
          results[#results + 1] = result
        end
        if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[6]) end
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
