-- GET /api/v1/cis/{id}/impact (default depth 10) for client CIs picked uniformly.
-- Env: GL_TOKEN, GL_CLIENTS, GL_CIS_PER_CLIENT (client CIs have ids 1..clients*per_client).
local token = os.getenv("GL_TOKEN")
local n = tonumber(os.getenv("GL_CLIENTS") or "100") * tonumber(os.getenv("GL_CIS_PER_CLIENT") or "1000")
local headers = { ["Authorization"] = "Bearer " .. token }
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/cis/" .. math.random(1, n) .. "/impact", headers)
end
