-- an endless loop inside pcall, itself in a loop: pcall must not swallow the budget
while true do
  pcall(function() while true do end end)
end
