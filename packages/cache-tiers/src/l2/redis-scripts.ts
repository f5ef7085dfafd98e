/**
 * Lua scripts (atomic on the server). Every key a script touches shares the namespace hash tag, so they run
 * unchanged on Redis Cluster.
 */
export const SCRIPTS = {
  // KEYS[1] entry (a hash: v = payload, t = JSON array of tags), KEYS[2..] tag indexes; ARGV[1] payload,
  // ARGV[2] PX ('' = no expiry), ARGV[3] index member, ARGV[4] tags JSON, ARGV[5] createdAt (epoch ms). Tag indexes live as long as their
  // longest-lived member.
  waiSet: {
    lua: `
local px = ARGV[2]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', ARGV[4], 'c', ARGV[5])
if px ~= '' then redis.call('PEXPIRE', KEYS[1], px) end
for i = 2, #KEYS do
  local fresh = redis.call('EXISTS', KEYS[i]) == 0
  redis.call('SADD', KEYS[i], ARGV[3])
  if px == '' then
    redis.call('PERSIST', KEYS[i])
  else
    local left = redis.call('PTTL', KEYS[i])
    if fresh or (left >= 0 and left < tonumber(px)) then redis.call('PEXPIRE', KEYS[i], px) end
  end
end
return 1`,
  },
  // KEYS[1] entry; ARGV[1] tag-stamp key prefix. Returns the payload, unless one of the entry's tags was
  // invalidated at or after it was written (then the entry is deleted and nil returned): one round trip for
  // the read and the tag check.
  waiGet: {
    numberOfKeys: 1,
    lua: `
local fields = redis.call('HMGET', KEYS[1], 'v', 't', 'c')
if not fields[1] then return false end
if fields[2] and fields[3] then
  local created = tonumber(fields[3])
  for _, tag in ipairs(cjson.decode(fields[2])) do
    local stamp = redis.call('GET', ARGV[1] .. tag)
    if stamp and tonumber(stamp) >= created then
      redis.call('DEL', KEYS[1])
      return false
    end
  end
end
return fields[1]`,
  },
  // KEYS[1] tag index; ARGV[1] entry key prefix, ARGV[2] the tag. Deletes the live entries that still carry the
  // tag (an index may hold members that were since rewritten with other tags) and the index; returns how many.
  waiDeleteByTag: {
    numberOfKeys: 1,
    lua: `
local members = redis.call('SMEMBERS', KEYS[1])
local deleted = 0
for _, member in ipairs(members) do
  local key = ARGV[1] .. member
  local tags = redis.call('HGET', key, 't')
  if tags then
    for _, tag in ipairs(cjson.decode(tags)) do
      if tag == ARGV[2] then deleted = deleted + redis.call('DEL', key) break end
    end
  end
end
redis.call('DEL', KEYS[1])
return deleted`,
  },
  // KEYS[1] tag stamp; ARGV[1] epoch ms, ARGV[2] PX. Keeps the latest stamp (replays may arrive late).
  waiStampTag: {
    numberOfKeys: 1,
    lua: `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`,
  },
  // KEYS[1] lease; ARGV[1] owner. Compare-and-delete (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/).
  waiReleaseLease: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;
