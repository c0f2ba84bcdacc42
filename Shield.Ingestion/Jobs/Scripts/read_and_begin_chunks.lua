-- KEYS[1] ingestion stream, KEYS[2] event stream
-- ARGV[1] consumer group, ARGV[2] consumer, ARGV[3] most entries, ARGV[4] now (ISO-8601), ARGV[5] event retention,
-- ARGV[6] notify channel, ARGV[7] job hash key prefix
-- Reads the consumer's next entries (XREADGROUP ... >, never blocking) and begins their jobs as begin_chunks does, in
-- one round trip: a consumer's first read after it was idle, so a new job's first chunk starts one round trip
-- after the wake-up. (Busy consumers read with a plain XREADGROUP: turning every entry into Lua values and back
-- costs Redis about 15 us an entry.) Returns {entries as XREADGROUP gives them, job ids, begin() answers in the
-- same order}. A job's finalisation entry (kind = finalize) begins nothing: its job started long before.
-- The job hashes are named in the script from the entries' job_id fields (as BullMQ's scripts derive their keys),
-- which a single Redis allows; a Redis Cluster would need the keys in one hash slot.
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not read then return {{}, {}, {}} end
local entries = read[1][2]
local jobs, answers, seen = {}, {}, {}
local appended = nil
for _, entry in ipairs(entries) do
  local fields = entry[2]
  if fields and fields[1] ~= 'kind' then
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
