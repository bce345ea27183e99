-- GET /api/v1/changes filtered by client and state, one page of 50.
-- Env: GL_TOKEN, GL_CLIENTS (how many bench clients exist: keys c1..cN).
local token = os.getenv("GL_TOKEN")
local clients = tonumber(os.getenv("GL_CLIENTS") or "10")
local states = { "draft", "submitted", "approved", "scheduled", "completed", "closed" }
local headers = { ["Authorization"] = "Bearer " .. token }
math.randomseed(os.time())
request = function()
  local path = string.format("/api/v1/changes?client=c%d&state=%s&limit=50",
    math.random(1, clients), states[math.random(1, #states)])
  return wrk.format("GET", path, headers)
end
