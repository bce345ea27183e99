-- GET /api/v1/changes/{id} for ids spread uniformly over the loaded changes.
-- Env: GL_TOKEN, GL_CHANGES (how many changes exist).
local token = os.getenv("GL_TOKEN")
local n = tonumber(os.getenv("GL_CHANGES") or "1000")
local headers = { ["Authorization"] = "Bearer " .. token }
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/changes/" .. math.random(1, n), headers)
end
