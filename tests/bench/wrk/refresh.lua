-- POST /tokenrefresh: a refresh token is good once, so every thread keeps a queue of its
-- share of $REFRESH_TOKENS, sends one per request and queues the new one from the answer.
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end
function init(args)
  queue = {}
  local all = {}
  for token in string.gmatch(os.getenv("REFRESH_TOKENS"), "[^,]+") do table.insert(all, token) end
  local threads = tonumber(os.getenv("THREADS"))
  for i = 1, #all do
    if (i - 1) % threads == id then table.insert(queue, all[i]) end
  end
end
function request()
  local token = table.remove(queue, 1) or "exhausted"
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '{"refresh_token":"' .. token .. '"}')
end
function response(status, headers, body)
  local token = string.match(body, '"refresh_token":"([^"]+)"')
  if token then table.insert(queue, token) end
end
