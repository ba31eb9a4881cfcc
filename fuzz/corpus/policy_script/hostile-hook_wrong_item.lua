-- a hook returning a list holding the wrong type
wicket.on("validate", function(input, ctx)
  return { "not a finding" }
end)
