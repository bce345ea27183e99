-- GET /healthz: the HTTP floor of the same server, for comparison.
request = function()
  return wrk.format("GET", "/healthz")
end
