-- wpi.lua: a Wireshark dissector for the Unify/Siemens WorkPoint Interface (WPI)
--
-- A post-dissector: in every HTTP body (http.file_data) that holds a WorkpointMessage
-- or DLSMessage it adds the WPI tree and these fields, for display filters such as
--   wpi.action == "WriteItems"
--   wpi.item.name == "sip-transport-user"
--
--   wpi.root         the root element as sent ("WorkpointMessage", "DLSMessage", ...)
--   wpi.nonce        Message@nonce
--   wpi.fragment     Message@fragment
--   wpi.reason       ReasonForContact (a phone's message)
--   wpi.action       ReasonForContact@action (a phone's) or Action (the service's)
--   wpi.status       ReasonForContact@status
--   wpi.signed       the message came inside an XML-DSig <Signature>
--   wpi.item         one Item, with wpi.item.name, wpi.item.value, wpi.item.index,
--                    wpi.item.status
--
-- It reads as the console's decoder does (doc/decisions.md D20, R21-R24): the root's
-- name in any case and with any namespace prefix, the message inside an XML-DSig
-- envelope (<Object> holding it) or with a <Signature> inside its root, <ItemList>
-- beside <Message>, elements in any order. Values are shown as sent, secrets too, as
-- Wireshark shows everything else in the packet.
--
-- Install: build-aux/install-wireshark-plugin (copies this file to Wireshark's
-- personal Lua plugin folder), or run once with tshark -X lua_script:wpi.lua.
-- The console's own TLS traffic is decrypted with the key log it writes (README: TLS
-- key log); its pcapng export (D29) is plain HTTP already.

local wpi = Proto("wpi", "Unify WorkPoint Interface")

local fields = {
  root = ProtoField.string("wpi.root", "Root"),
  nonce = ProtoField.string("wpi.nonce", "Nonce"),
  fragment = ProtoField.string("wpi.fragment", "Fragment"),
  reason = ProtoField.string("wpi.reason", "Reason for contact"),
  action = ProtoField.string("wpi.action", "Action"),
  status = ProtoField.string("wpi.status", "Status"),
  signed = ProtoField.bool("wpi.signed", "Signed (XML-DSig)"),
  item = ProtoField.none("wpi.item", "Item"),
  item_name = ProtoField.string("wpi.item.name", "Name"),
  item_value = ProtoField.string("wpi.item.value", "Value"),
  item_index = ProtoField.uint32("wpi.item.index", "Index"),
  item_status = ProtoField.string("wpi.item.status", "Item status"),
}
wpi.fields = fields

local http_body = Field.new("http.file_data")

-- ---- XML, as far as WPI needs it -------------------------------------------------

local function utf8_char(code)
  if code < 0x80 then
    return string.char(code)
  elseif code < 0x800 then
    return string.char(0xC0 + math.floor(code / 0x40), 0x80 + code % 0x40)
  elseif code < 0x10000 then
    return string.char(0xE0 + math.floor(code / 0x1000), 0x80 + math.floor(code / 0x40) % 0x40,
                       0x80 + code % 0x40)
  elseif code <= 0x10FFFF then
    return string.char(0xF0 + math.floor(code / 0x40000), 0x80 + math.floor(code / 0x1000) % 0x40,
                       0x80 + math.floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
  end
  return "?"
end

local predefined = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

local function unescape(text)
  -- CDATA sections stand for themselves; comments are no text
  text = text:gsub("<!%-%-.-%-%->", "")
  local out, position = {}, 1
  while true do
    local start, stop, inner = text:find("<!%[CDATA%[(.-)%]%]>", position)
    local plain = text:sub(position, (start or 0) - 1)
    if start == nil then plain = text:sub(position) end
    plain = plain:gsub("&(#?[xX]?%w+);", function(reference)
      local hex = reference:match("^#[xX](%x+)$")
      local decimal = reference:match("^#(%d+)$")
      if hex then return utf8_char(tonumber(hex, 16)) end
      if decimal then return utf8_char(tonumber(decimal)) end
      return predefined[reference] or ("&" .. reference .. ";")
    end)
    out[#out + 1] = plain
    if start == nil then break end
    out[#out + 1] = inner
    position = stop + 1
  end
  return table.concat(out)
end

local function attributes(text)
  local result = {}
  for name, _, value in text:gmatch("([%w_:%.%-]+)%s*=%s*([\"'])(.-)%2") do
    result[(name:match(":(.*)$") or name)] = unescape(value)
  end
  return result
end

-- Every element: {name (local, as sent), attrs, first, last (of the whole element),
-- content_first, content_last (the text inside, or nil when empty/self-closing)}.
-- Only the names WPI uses are looked for, so nesting elsewhere does not matter.
local function elements(body, local_name)
  local found, position = {}, 1
  local pattern = "<([%w_%.%-]*:?" .. "[%w_%.%-]+)([^>]*)>"
  while true do
    local first, tag_end, name, attrs = body:find(pattern, position)
    if first == nil then break end
    local bare = name:match(":(.*)$") or name
    if bare:lower() == local_name:lower() then
      local element = { name = bare, attrs = attributes(attrs), first = first, last = tag_end }
      if attrs:sub(-1) ~= "/" then
        local close_first, close_last = body:find("</" .. name:gsub("%p", "%%%0") .. "%s*>", tag_end + 1)
        if close_first then
          element.content_first, element.content_last = tag_end + 1, close_first - 1
          element.last = close_last
        else
          -- cut short: to the end
          element.content_first, element.content_last = tag_end + 1, #body
          element.last = #body
        end
      end
      found[#found + 1] = element
    end
    position = tag_end + 1
  end
  return found
end

local function content(body, element)
  if element.content_first == nil or element.content_last < element.content_first then
    return ""
  end
  return unescape(body:sub(element.content_first, element.content_last))
end

-- ---- The tree --------------------------------------------------------------------

local function sub_range(range, first, last)
  if last < first then return range(first - 1, 0) end
  return range(first - 1, last - first + 1)
end

local function add_items(tree, range, body, root)
  for _, item in ipairs(elements(body, "Item")) do
    if item.first > root.first and item.last <= root.last then
      local element_range = sub_range(range, item.first, item.last)
      local value = content(body, item)
      local name = item.attrs.name or ""
      local label = name
      if item.attrs.index then label = label .. "[" .. item.attrs.index .. "]" end
      local subtree = tree:add(fields.item, element_range):set_text("Item: " .. label .. " = " .. value)
      subtree:add(fields.item_name, element_range, name)
      local index = tonumber(item.attrs.index or "")
      if index and index >= 0 and index <= 0xFFFFFFFF then
        subtree:add(fields.item_index, element_range, index)
      end
      if item.content_first then
        subtree:add(fields.item_value, sub_range(range, item.content_first, item.content_last), value)
      else
        subtree:add(fields.item_value, element_range, value)
      end
      if item.attrs.status then subtree:add(fields.item_status, element_range, item.attrs.status) end
    end
  end
end

local function first_inside(body, name, root)
  for _, element in ipairs(elements(body, name)) do
    if element.first > root.first and element.last <= root.last then return element end
  end
  return nil
end

local function dissect_body(range, tree, pinfo)
  local body = range:raw()
  local roots = elements(body, "WorkpointMessage")
  local is_phone = #roots > 0
  if not is_phone then roots = elements(body, "DLSMessage") end
  local root = roots[1]
  if root == nil then return end

  local root_range = sub_range(range, root.first, root.last)
  local subtree = tree:add(wpi, root_range)
  subtree:add(fields.root, root_range, root.name)
  -- only where it is: "wpi.signed" as a filter then finds the signed messages
  if #elements(body, "Signature") > 0 then subtree:add(fields.signed, root_range, true) end

  local message = first_inside(body, "Message", root)
  if message then
    local message_range = sub_range(range, message.first, message.last)
    if message.attrs.nonce then subtree:add(fields.nonce, message_range, message.attrs.nonce) end
    if message.attrs.fragment then subtree:add(fields.fragment, message_range, message.attrs.fragment) end
  end

  local summary = { root.name }
  local reason = first_inside(body, "ReasonForContact", root)
  if is_phone and reason then
    local reason_range = sub_range(range, reason.first, reason.last)
    local text = content(body, reason)
    subtree:add(fields.reason, reason_range, text)
    summary[#summary + 1] = text
    if reason.attrs.action then
      subtree:add(fields.action, reason_range, reason.attrs.action)
      summary[#summary + 1] = reason.attrs.action
    end
    if reason.attrs.status then
      subtree:add(fields.status, reason_range, reason.attrs.status)
      summary[#summary + 1] = "status=" .. reason.attrs.status
    end
  end
  -- a phone's action is ReasonForContact@action; an <Action> in its message is ignored (R24)
  local action = not is_phone and first_inside(body, "Action", root) or nil
  if action then
    local text = content(body, action)
    subtree:add(fields.action, sub_range(range, action.first, action.last), text)
    summary[#summary + 1] = text
  end

  add_items(subtree, range, body, root)
  subtree:append_text(": " .. table.concat(summary, " "))
  pinfo.cols.protocol:set("WPI")
  pinfo.cols.info:append(" [" .. table.concat(summary, " ") .. "]")
end

function wpi.dissector(tvb, pinfo, tree)
  for _, body in ipairs({ http_body() }) do
    local ok, range = pcall(function() return body.range end)
    if ok and range ~= nil and range:len() > 0 then
      dissect_body(range, tree, pinfo)
    end
  end
end

register_postdissector(wpi)
