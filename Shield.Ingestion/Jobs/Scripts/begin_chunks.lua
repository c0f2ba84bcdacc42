-- KEYS[1] event stream, KEYS[2..] the hashes of the jobs a consumer's batch of chunks belongs to
-- ARGV[1] now (ISO-8601), ARGV[2] event retention, ARGV[3] notify channel, ARGV[4..] the job ids, in KEYS' order
-- Returns one answer of begin() per job: one round trip for the jobs of a batch that the process has not asked
-- about within the last second.
local answers = {}
local appended = nil
for i = 2, #KEYS do
  local answer, id = begin(KEYS[i], ARGV[i + 2], KEYS[1], ARGV[1], ARGV[2])
  answers[#answers + 1] = answer
  appended = id or appended
end
if appended then redis.call('PUBLISH', ARGV[3], appended) end
return answers
