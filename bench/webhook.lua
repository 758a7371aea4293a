-- wrk script for bench/ingest.py: POSTs realistic, unique webhook updates.
--
-- Arguments (after `--`): channel (telegram | zalo), secret, base (an integer that keeps the
-- update ids of one run apart from those of the runs before it on the same database).
-- Every request carries a new update id (Telegram update_id, Zalo message_id): base plus the
-- thread number times 10^8 plus the thread's own counter. Chats vary over 20,000 residents'
-- private chats and 2,000 groups, in the proportions of a ward's traffic: most updates are
-- group chatter, some are private messages to the bot, a few are /report commands.
-- done() prints one line "BENCH_JSON {...}" that bench/ingest.py reads.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local TELEGRAM_PRIVATE = [[{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Lan","last_name":"Nguyễn","language_code":"vi"},"chat":{"id":%d,"type":"private","first_name":"Lan","last_name":"Nguyễn"},"date":%d,"text":"%s"}}]]
local TELEGRAM_GROUP = [[{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Hùng","last_name":"Trần","language_code":"vi"},"chat":{"id":%d,"type":"supergroup","title":"Camera an ninh tổ %d"},"date":%d,"text":"%s"}}]]
local ZALO_PRIVATE = [[{"ok":true,"result":{"event_name":"message.text.received","message":{"from":{"id":"%s","display_name":"Hoa Trần","is_bot":false},"chat":{"id":"%s","chat_type":"PRIVATE"},"text":"%s","message_id":"%s","date":%d}}}]]
local ZALO_GROUP = [[{"ok":true,"result":{"event_name":"message.text.received","message":{"from":{"id":"%s","display_name":"Hoa Trần","is_bot":false},"chat":{"id":"%s","chat_type":"GROUP"},"text":"%s","message_id":"%s","date":%d}}}]]

local GROUP_TEXTS = {
  "Tối qua có người lạ đi xe không biển số lảng vảng ngõ 5, mọi người chú ý nhé",
  "Camera nhà em quay được lúc 2 giờ sáng, ai biết báo giúp",
  "Cảnh báo: có đối tượng giả danh nhân viên điện lực đến thu tiền",
}
local PRIVATE_TEXTS = {
  "Có người bán hàng cấm ở ngõ 12",
  "Xe máy bị mất trộm trước cửa nhà số 8 lúc 10 giờ tối",
}

function init(args)
  channel = args[1] or "telegram"
  secret = args[2] or ""
  base = tonumber(args[3] or "0")
  counter = 0
  now = os.time()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if channel == "telegram" then
    wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = secret
  else
    wrk.headers["X-Bot-Api-Secret-Token"] = secret
  end
end

local function telegram_body(n, id)
  local kind = n % 10
  local person = 700000000 + (n * 7919 + tid * 31) % 20000
  if kind <= 5 or kind == 8 then
    local group = (n * 104729 + tid) % 2000
    local text = GROUP_TEXTS[n % 3 + 1]
    if kind == 8 then text = "/report@tinbao_demo_bot " .. text end
    return string.format(TELEGRAM_GROUP, id, id, person, -1001000000000 - group, group, now, text)
  end
  local text = kind == 9 and "/start" or PRIVATE_TEXTS[n % 2 + 1]
  return string.format(TELEGRAM_PRIVATE, id, id, person, person, now, text)
end

local function zalo_body(n, id)
  local kind = n % 10
  local person = string.format("58100000000%08d", (n * 7919 + tid * 31) % 20000)
  local message_id = string.format("%012x%08x", id, n)
  if kind <= 5 or kind == 8 then
    local group = string.format("g_%010d", (n * 104729 + tid) % 2000)
    local text = GROUP_TEXTS[n % 3 + 1]
    if kind == 8 then text = "@Tin báo /report " .. text end
    return string.format(ZALO_GROUP, person, group, text, message_id, now * 1000)
  end
  local text = kind == 9 and "/start" or PRIVATE_TEXTS[n % 2 + 1]
  return string.format(ZALO_PRIVATE, person, person, text, message_id, now * 1000)
end

function request()
  counter = counter + 1
  local id = base + tid * 100000000 + counter
  local body
  if channel == "telegram" then
    body = telegram_body(counter, id)
  else
    body = zalo_body(counter, id)
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("counter") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"sent":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, sent, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
