-- a finalizer that never returns would hang lua_close (hooks are off in __gc)
setmetatable({}, { __gc = function() while true do end end })
