-- a string.rep bomb
return ("x"):rep(1e9)
