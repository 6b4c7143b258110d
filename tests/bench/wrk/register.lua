-- POST /register with a new username every time (run, thread, counter); the dummy stage
-- completes at once.
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end
local counter = 0
function request()
  counter = counter + 1
  local body = string.format('{"username":"bench_%s_%d_%d","password":"pw","auth":{"type":"m.login.dummy"}}',
    os.getenv("RUN") or "run", id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
