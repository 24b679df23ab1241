-- The ingest load for wrk (bench/wrk.ts): every request a new window of one of a fleet of clients, taking
-- turns (request i: client i % N, window floor(i / N)), its body spliced from a template; every answer
-- checked. Arguments after `--`: <template file> <first request index>. One thread (`-t1`): the request
-- index is the thread's. Prints one line `WRK_RESULT {json}`.
-- The template file is lines of `<byte length> <name>\n<bytes>\n`, written by bench/wrk.ts.

local spec = {}
local parts, holes, ids = {}, {}, {}

local function readSpec(file)
  local f = assert(io.open(file, 'rb'))
  local data = f:read('*a')
  f:close()
  local pos = 1
  while pos <= #data do
    local eol = data:find('\n', pos, true)
    local len, name = data:sub(pos, eol - 1):match('^(%d+) (%S+)$')
    local value = data:sub(eol + 1, eol + tonumber(len))
    pos = eol + tonumber(len) + 2
    if name == 'part' then parts[#parts + 1] = value
    elseif name == 'hole' then holes[#holes + 1] = value
    elseif name == 'id' then ids[#ids + 1] = value
    else spec[name] = value end
  end
end

-- Globals, not locals: done() reads them with thread:get.
next_index, ok, non2xx, mismatches, sent = 0, 0, 0, 0, 0
local headers = {}
local verify_empty

local function iso(ms)
  local s = math.floor(ms / 1000)
  return '"' .. os.date('!%Y-%m-%dT%H:%M:%S', s) .. string.format('.%03dZ"', ms - s * 1000)
end

function init(args)
  readSpec(args[1])
  next_index = tonumber(args[2])
  headers['content-type'] = spec.contentType
  verify_empty = spec.verify == 'empty'
end

function request()
  local i = next_index
  next_index = i + 1
  sent = sent + 1
  local n = #ids
  local client = i % n
  local start = tonumber(spec.base) + math.floor(i / n) * tonumber(spec.window)
  local values = {
    client = ids[client + 1],
    start = spec.time == 'iso' and iso(start) or string.format('%d', start),
    ['end'] = spec.time == 'iso' and iso(start + tonumber(spec.length)) or string.format('%d', start + tonumber(spec.length)),
  }
  local out = { parts[1] }
  for k = 1, #holes do
    out[#out + 1] = values[holes[k]]
    out[#out + 1] = parts[k + 1]
  end
  return wrk.format('POST', spec.path, headers, table.concat(out))
end

function response(status, _, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif verify_empty and body ~= '' then
    mismatches = mismatches + 1
  elseif not verify_empty and (body:sub(1, #spec.verify) ~= spec.verify or body:find('"errors"', 1, true)) then
    mismatches = mismatches + 1
  else
    ok = ok + 1
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency)
  local t = threads[1]
  local result = {
    string.format('"ok":%d,"non2xx":%d,"mismatches":%d,"sent":%d,"next":%d', t:get('ok'), t:get('non2xx'),
      t:get('mismatches'), t:get('sent'), t:get('next_index')),
    string.format('"duration":%d,"requests":%d', summary.duration, summary.requests),
    string.format('"errors":%d,"timeouts":%d', summary.errors.connect + summary.errors.read +
      summary.errors.write, summary.errors.timeout),
  }
  local hist = {}
  for k = 1, #latency do
    local v, c = latency(k)
    if c > 0 then hist[#hist + 1] = string.format('[%d,%d]', v, c) end
  end
  result[#result + 1] = '"latency":[' .. table.concat(hist, ',') .. ']'
  io.write('WRK_RESULT {' .. table.concat(result, ',') .. '}\n')
end
