-- __gc added after setmetatable is never run (the object is not marked)
local mt = {}
local keep = setmetatable({}, mt)
mt.__gc = function() while true do end end
return { ok = true }
