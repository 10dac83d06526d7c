-- GET /api/v1/scenes/{id}, signed out, on a scene id picked at random from a file (one id per line).
-- wrk ... -s scene.lua URL -- ids.txt [seed]

local ids = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(tonumber(args[2] or "1"))
end

function request()
  return wrk.format("GET", "/api/v1/scenes/" .. ids[math.random(#ids)])
end
