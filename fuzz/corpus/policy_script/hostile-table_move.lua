-- table.move loops in C over a huge range
local t = table.move({}, 1, 1 << 40, 1, {})
