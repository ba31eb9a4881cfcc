-- a hook returning the wrong type
wicket.on("validate", function(input, ctx)
  return 42
end)
