-- Error-heavy: pcall/error in a loop. Errors raised from Lua functions and from
-- inside C library calls (table.sort's and string.gsub's callbacks), so each
-- error longjmps over Lua and C frames.  usage: lua errors.lua [N]
local n = tonumber(arg and arg[1]) or 100000
local function thrower(i)
	if i % 3 == 0 then error({ code = i }) end
	if i % 3 == 1 then error("string error " .. i) end
	return i
end
local function nested(i, d)
	if d == 0 then return thrower(i) end
	return (nested(i, d - 1))
end
local t = {}
for i = 1, 16 do t[i] = (i * 7919) % 16 end
local function sort_then_fail(i)
	local c = 0
	table.sort({ table.unpack(t) }, function(a, b)
		c = c + 1
		if c == 1 + i % 20 then error("sort " .. i) end
		return a < b
	end)
end
local function gsub_then_fail(i)
	return (string.gsub("a b c d e f g h", "%a", function(s)
		if s == "e" and i % 2 == 0 then error("gsub " .. i, 2) end
		return s:upper()
	end))
end
local ok_n, err_n = 0, 0
for i = 1, n do
	local ok = pcall(nested, i, i % 8)
	if ok then ok_n = ok_n + 1 else err_n = err_n + 1 end
	ok = pcall(sort_then_fail, i)
	if ok then ok_n = ok_n + 1 else err_n = err_n + 1 end
	ok = pcall(gsub_then_fail, i)
	if ok then ok_n = ok_n + 1 else err_n = err_n + 1 end
	-- error() with a non-string value, caught by xpcall with a handler
	xpcall(function() error(setmetatable({}, { __tostring = function() return "x" end })) end,
		function(e) return tostring(e) end)
end
print(string.format("ok %d errors %d", ok_n, err_n))
