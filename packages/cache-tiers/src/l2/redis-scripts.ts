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
  // KEYS[1] entry; ARGV[1] the createdAt a reader found. Deletes an entry a tag stamp invalidated, unless it was
  // rewritten since (then its createdAt differs and the newer entry stays).
  waiDeleteIfCreated: {
    lua: `
if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
  // KEYS[1] tag index; ARGV[1] entry key prefix, ARGV[2] the tag. Deletes the live entries that still carry the
  // tag (an index may hold members that were since rewritten with other tags) and the index; returns how many.
  waiDeleteByTag: {
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
    lua: `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`,
  },
  // KEYS[1] lease; ARGV[1] owner. Compare-and-delete (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/).
  waiReleaseLease: {
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;
