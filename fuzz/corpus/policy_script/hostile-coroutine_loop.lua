-- endless loops inside coroutines, resumed under pcall
while true do
  local co = coroutine.wrap(function() while true do end end)
  pcall(co)
end
