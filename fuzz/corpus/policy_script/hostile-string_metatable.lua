-- changing the string metatable
getmetatable("").__index = function() return "pwned" end
