-- Gallery pages: GET one of the request paths in a file (one per line: first pages, cursor pages, searches).
-- wrk ... -s gallery.lua URL -- paths.txt [seed]

local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(tonumber(args[2] or "1"))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
