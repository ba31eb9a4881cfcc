-- a pattern that backtracks for ever in C, where the count hook never runs
return string.find(("a"):rep(5000), ("a*"):rep(20) .. "b")
