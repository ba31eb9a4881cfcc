-- a __close handler that never returns, run while an error unwinds
local x <close> = setmetatable({}, { __close = function() while true do end end })
error("boom")
