-- lua5.4 examples/lua/hello.lua
local function factorial(n)
  if n <= 1 then return 1 end
  return n * factorial(n - 1)
end

for i = 1, 10 do
  print(string.format("%2d! = %d", i, factorial(i)))
end
