-- Like then unlike: PUT /api/v1/scenes/{id}/like, then DELETE of the same (user, scene), alternating.
-- Each pair is a random public scene (ids file) and a random seeded user (file of access tokens), so the
-- load spreads over many scenes, authors and likers. Both calls are idempotent, so it does not matter
-- that, over 64 connections, the DELETE may reach the server before its PUT.
-- wrk ... -s like.lua URL -- ids.txt tokens.txt [seed]

local ids, tokens = {}, {}
local sent = 0
local path, headers

local function read_lines(file, into)
  for line in io.lines(file) do
    if #line > 0 then into[#into + 1] = line end
  end
end

function init(args)
  read_lines(args[1], ids)
  read_lines(args[2], tokens)
  math.randomseed(tonumber(args[3] or "1"))
end

function request()
  sent = sent + 1
  if sent % 2 == 1 then
    path = "/api/v1/scenes/" .. ids[math.random(#ids)] .. "/like"
    headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
    return wrk.format("PUT", path, headers)
  end
  return wrk.format("DELETE", path, headers)
end
