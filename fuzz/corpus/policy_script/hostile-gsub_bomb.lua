-- gsub amplification
return (("x"):rep(100000):gsub("x", ("y"):rep(100)))
