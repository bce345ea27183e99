-- POST /api/v1/changes: a normal change on one CI of a random bench client.
-- Env: GL_TOKEN, GL_CLIENTS, GL_CIS_PER_CLIENT (CIs of client k are numbered so that
-- CI id = (k-1)*GL_CIS_PER_CLIENT + j, as bench/gen.c lays them out).
local token = os.getenv("GL_TOKEN")
local clients = tonumber(os.getenv("GL_CLIENTS") or "10")
local per = tonumber(os.getenv("GL_CIS_PER_CLIENT") or "10")
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
math.randomseed(os.time())
request = function()
  local k = math.random(1, clients)
  local ci = (k - 1) * per + math.random(1, per)
  local body = string.format('{"client":"c%d","type":"normal","title":"bench change",' ..
    '"description":"created by the benchmark","cis":[%d],' ..
    '"implementation_plan":"1. do it","test_plan":"check it","rollback_plan":"undo it",' ..
    '"planned_start":"2027-01-10T22:00:00Z","planned_end":"2027-01-10T23:00:00Z"}', k, ci)
  return wrk.format("POST", "/api/v1/changes", headers, body)
end
