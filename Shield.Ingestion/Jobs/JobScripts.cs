namespace Shield.Ingestion.Jobs;

/// <summary>
/// Lua scripts that move a job's Redis state and append its events in one atomic step. Because the state change
/// and the event are one step, a chunk delivered twice is counted once and every job gets exactly one
/// <c>ingestion.started</c> and exactly one terminal event, however many workers race on it.
/// </summary>
internal static class JobScripts
{
    // KEYS[1] job hash, KEYS[2] event stream
    // ARGV[1] job id, ARGV[2] now (ISO-8601), ARGV[3] event retention, ARGV[4] notify channel
    // Returns 1 for the job's first chunk, 0 otherwise, 2 when the job was cancelled (its chunks are skipped): one round
    // trip where the worker used to check for cancellation and mark the start separately.
    public const string MarkStarted = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return 2 end
        if redis.call('HSETNX', KEYS[1], 'started_at', ARGV[2]) == 0 then return 0 end
        if redis.call('HGET', KEYS[1], 'status') == 'queued' then
          redis.call('HSET', KEYS[1], 'status', 'processing')
        end
        local payload = cjson.encode({event_type = 'ingestion.started', job_id = ARGV[1], timestamp = ARGV[2],
          data = {chunks_total = tonumber(redis.call('HGET', KEYS[1], 'chunks_total'))}})
        local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', 'ingestion.started', 'job', ARGV[1], 'data', payload)
        redis.call('PUBLISH', ARGV[4], id)
        return 1
        """;

    // KEYS[1] job hash, KEYS[2] set of finished chunk indexes, KEYS[3] event stream, KEYS[4] completion-rate bucket
    // ARGV[1] job id, ARGV[2] chunk index, ARGV[3] now (ISO-8601), ARGV[4] now (unix ms),
    // ARGV[5] seconds a finished job is kept, ARGV[6] event retention, ARGV[7] notify channel,
    // ARGV[8] 'processed' | 'failed', ARGV[9] error (may be empty), ARGV[10] seconds a rate bucket is kept
    // KEYS[5] ingestion stream; ARGV[11] the chunk's stream entry id ('' = do not acknowledge), ARGV[12] consumer group
    // Returns {applied (1 new, 0 duplicate, 2 job cancelled, -1 unknown job), processed, failed, total, status, terminal (1 if this call ended the job),
    //   acknowledged (1 when the entry was XACKed here)}
    // The entry is acknowledged in the same step unless the job is now finished: a finished job's PostgreSQL row must be
    // written before its entry is acknowledged (so a crash in between redelivers it), which the caller then does.
    public const string RecordChunkOutcome = """
        local function outcome()
        if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, 0, 0, '', 0} end
        local function snapshot(applied, terminal)
          local v = redis.call('HMGET', KEYS[1], 'chunks_processed', 'chunks_failed', 'chunks_total', 'status')
          return {applied, tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), v[4], terminal}
        end
        if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return snapshot(2, 0) end
        if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return snapshot(0, 0) end

        local failedOutcome = ARGV[8] == 'failed'
        redis.call('HINCRBY', KEYS[1], failedOutcome and 'chunks_failed' or 'chunks_processed', 1)
        if failedOutcome and ARGV[9] ~= '' then redis.call('HSETNX', KEYS[1], 'error', ARGV[9]) end
        if not failedOutcome then
          redis.call('INCR', KEYS[4])
          redis.call('EXPIRE', KEYS[4], ARGV[10])
        end

        local v = redis.call('HMGET', KEYS[1], 'chunks_processed', 'chunks_failed', 'chunks_total', 'created_at_ms')
        local processed, failed, total = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
        local percent = 0
        if total > 0 then percent = math.floor((processed + failed) * 10000 / total + 0.5) / 100 end

        local function append(eventType, data)
          local payload = cjson.encode({event_type = eventType, job_id = ARGV[1], timestamp = ARGV[3], data = data})
          local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'type', eventType, 'job', ARGV[1], 'data', payload)
          redis.call('PUBLISH', ARGV[7], id)
        end

        append('ingestion.progress', {chunks_processed = processed, chunks_failed = failed,
          chunks_total = total, percent_complete = percent})

        if processed + failed < total then return snapshot(1, 0) end

        local status = 'completed'
        if failed > 0 then status = 'failed' end
        redis.call('HSET', KEYS[1], 'status', status, 'completed_at', ARGV[3])
        -- The TTL starts at the terminal state, not at creation: a long job never loses its record midway.
        redis.call('EXPIRE', KEYS[1], ARGV[5])
        redis.call('EXPIRE', KEYS[2], ARGV[5])
        local duration = (tonumber(ARGV[4]) - tonumber(v[4] or ARGV[4])) / 1000
        local data = {chunks_processed = processed, chunks_failed = failed, chunks_total = total,
          duration_seconds = duration}
        local firstError = redis.call('HGET', KEYS[1], 'error')
        if firstError then data.error = firstError end
        append('ingestion.' .. status, data)
        return snapshot(1, 1)
        end

        local result = outcome()
        result[7] = 0
        local finished = result[5] == 'completed' or result[5] == 'failed' or result[5] == 'cancelled'
        if ARGV[11] ~= '' and (result[1] == -1 or result[1] == 2 or not finished) then
          redis.call('XACK', KEYS[5], ARGV[12], ARGV[11])
          result[7] = 1
        end
        return result
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
