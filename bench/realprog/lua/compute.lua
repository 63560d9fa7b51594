-- A normal compute script: recursion, tables, strings, sorting, closures.
-- usage: lua compute.lua [SCALE]
local scale = tonumber(arg and arg[1]) or 1
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local acc = 0
for _ = 1, scale do
	acc = acc + fib(24)
	local t = {}
	for i = 1, 20000 do t[i] = (i * 2654435761) % 100003 end
	table.sort(t, function(a, b) return a > b end)
	acc = acc + t[1]
	local parts = {}
	for i = 1, 5000 do parts[#parts + 1] = string.format("%d:%x", i, t[i]) end
	local s = table.concat(parts, ",")
	local words = 0
	for w in s:gmatch("[^,]+") do words = words + #w end
	acc = acc + words + #s:gsub("%d", "")
	local m = {}
	for i = 1, 20000 do m["k" .. (i % 997)] = (m["k" .. (i % 997)] or 0) + i end
	for _, v in pairs(m) do acc = acc + v % 7 end
end
print(string.format("acc %d", acc))
