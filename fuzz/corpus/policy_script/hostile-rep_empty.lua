-- string.rep of an empty string loops n times in C without the cap
return { s = string.rep("", 1e15) }
