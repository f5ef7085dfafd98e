/**
 * Lua scripts (atomic on the server). Every key a script touches shares the namespace hash tag, so they run
 * unchanged on Redis Cluster.
 */
// The namespace's clock. A missing clock (a new namespace, or a Redis that restarted without its data) starts at
// the server's TIME in µs, above every version it handed out before: a fill begun before the restart is refused.
const NEXT_VERSION = `
local function next_version(clock)
  if redis.call('EXISTS', clock) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', clock, now[1] .. string.sub('000000' .. now[2], -6))
  end
  return redis.call('INCR', clock)
end`;

// Shared by the write and the fill scripts.
const STORE_ENTRY = `
-- Writes the entry hash with its version and indexes its tags. The hash lives at least the fill window
-- (ARGV[6] ms) even when the entry expires sooner: reads check 'x' (stale-until) themselves, and the version
-- that outlives the value still refuses a late fill begun before this write.
local function store(version, ntags)
  local px = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', ARGV[4], 'c', ARGV[5], 'n', version, 'x', ARGV[8])
  if px == '' then redis.call('PERSIST', KEYS[1])
  else redis.call('PEXPIRE', KEYS[1], math.max(tonumber(px), tonumber(ARGV[6]))) end
  for i = 4, 3 + ntags do
    local fresh = redis.call('EXISTS', KEYS[i]) == 0
    redis.call('SADD', KEYS[i], ARGV[3])
    if px == '' then
      redis.call('PERSIST', KEYS[i])
    else
      local left = redis.call('PTTL', KEYS[i])
      local keep = math.max(tonumber(px), tonumber(ARGV[6]))
      if fresh or (left >= 0 and left < keep) then redis.call('PEXPIRE', KEYS[i], keep) end
    end
  end
end`;

export const SCRIPTS = {
  // Unconditional write. KEYS[1] entry (a hash: v = payload, t = tags JSON, c = createdAt, n = version,
  // x = stale-until epoch ms), KEYS[2] clock, KEYS[3] cleared, KEYS[4..3+n] tag indexes; ARGV[1] payload, ARGV[2]
  // PX ('' = no expiry), ARGV[3] index member, ARGV[4] tags JSON, ARGV[5] createdAt, ARGV[6] fill window (ms),
  // ARGV[7] tag count, ARGV[8] stale-until ('' = never). Advances the clock: fills begun before it are refused.
  waiSet: {
    lua: `
${NEXT_VERSION}
${STORE_ENTRY}
local version = next_version(KEYS[2])
store(version, tonumber(ARGV[7]))
return version`,
  },
  // Conditional fill (Facebook memcache lease semantics). KEYS as waiSet plus KEYS[4+n..3+2n] tag versions;
  // ARGV as waiSet plus ARGV[9] the version the filler read before it loaded. Refused (0) when the namespace
  // was cleared, the key written or deleted, or one of the tags invalidated after that version.
  waiFill: {
    lua: `
${STORE_ENTRY}
local since = tonumber(ARGV[9])
local ntags = tonumber(ARGV[7])
if tonumber(redis.call('GET', KEYS[3]) or '0') > since then return 0 end
local current = redis.call('HGET', KEYS[1], 'n')
if current and tonumber(current) > since then return 0 end
for i = 4 + ntags, 3 + 2 * ntags do
  local stamp = redis.call('GET', KEYS[i])
  if stamp and tonumber(stamp) > since then return 0 end
end
store(since, ntags)
return 1`,
  },
  // KEYS[1] entry, KEYS[2] clock; ARGV[1] fill window (ms), ARGV[2] now (epoch ms). Replaces the entry with a
  // tombstone carrying a new version (so fills begun before it are refused); returns 1 when a servable entry existed.
  waiDelete: {
    lua: `
${NEXT_VERSION}
local existed = 0
if redis.call('HEXISTS', KEYS[1], 'v') == 1 then
  local until_ms = redis.call('HGET', KEYS[1], 'x')
  if (not until_ms) or until_ms == '' or tonumber(until_ms) > tonumber(ARGV[2]) then existed = 1 end
end
local version = next_version(KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'n', version)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return existed`,
  },
  // KEYS[1] tag version, KEYS[2] clock; ARGV[1] PX. The tag's version becomes the clock's next value.
  waiStampTag: {
    lua: `
${NEXT_VERSION}
local version = next_version(KEYS[2])
redis.call('SET', KEYS[1], version, 'PX', ARGV[1])
return version`,
  },
  // KEYS[1] cleared, KEYS[2] clock. Run before the SCAN that deletes the namespace: fills begun before it are refused.
  waiClear: {
    lua: `
${NEXT_VERSION}
local version = next_version(KEYS[2])
redis.call('SET', KEYS[1], version)
return version`,
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
  // KEYS[1] lease; ARGV[1] owner. Compare-and-delete (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/).
  waiReleaseLease: {
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;
