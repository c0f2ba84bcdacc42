-- KEYS[1] job hash, KEYS[2] finished set, KEYS[3] ingestion stream, KEYS[4] dead-letter stream, KEYS[5] event stream
-- ARGV[1] job id, ARGV[2] dead-letter entry id, ARGV[3] chunk index, ARGV[4] now, ARGV[5] event retention,
-- ARGV[6] notify channel, ARGV[7..] the chunk's original field/value pairs
-- Moves one dead-lettered chunk back onto the queue and un-counts its failure, in one step, so a retried chunk
-- is neither lost (removed from the DLQ but not queued) nor doubled (queued twice). The job is running again: its
-- next last chunk queues a new finalisation (a pending one finds chunks outstanding and ends nothing).
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return -2 end
if redis.call('XDEL', KEYS[4], ARGV[2]) == 0 then return 0 end
if redis.call('SREM', KEYS[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'chunks_failed', -1)
end
redis.call('HSET', KEYS[1], 'status', 'processing')
redis.call('HDEL', KEYS[1], 'completed_at', 'error', 'finalizing')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[3], '*', unpack(fields))
return 1
