-- an error raised with a table whose __tostring never returns
error(setmetatable({}, { __tostring = function() while true do end end }))
