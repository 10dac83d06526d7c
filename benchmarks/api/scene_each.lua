-- GET /api/v1/scenes/{id}, signed out, for every id of a file in turn: one pass fills the scene cache.
-- wrk ... -s scene_each.lua URL -- ids.txt

local ids = {}
local next_id = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
end

function request()
  next_id = next_id % #ids + 1
  return wrk.format("GET", "/api/v1/scenes/" .. ids[next_id])
end
