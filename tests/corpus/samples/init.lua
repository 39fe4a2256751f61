-- Sample module.
local M = {}

function M.greet(name)
  return "hello " .. name
end

local function helper(x)
  return x * 2
end

function M:twice(x)
  return helper(x)
end

return M
