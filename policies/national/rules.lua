-- National rules: inspection responses, readiness for a stage, sequencing,
-- applicability and privacy. Loaded before any establishment script; a site
-- script can add findings but cannot replace, remove or relax anything here
-- (the host refuses it). The Lua API is described in docs/policies.md.
--
-- Rule ids are "national.<name>"; every finding names the rule that raised it.
-- Rules read arrays with ipairs only, so their results do not depend on the
-- order of a hash table.

local RESPONSES = { agreed = true, partly_agreed = true, not_agreed = true }
local REASONS = { commissioning = true, policy = true, operational = true, affordability = true }
local ACTION_STATUSES = { open = true, in_progress = true, completed = true, cancelled = true }
local ASSESSMENT_STATUSES = {
  met = true, partly_met = true, not_met = true, in_progress = true,
  not_assessed = true, not_applicable = true,
}

local function blank(s)
  return type(s) ~= "string" or not s:find("%S")
end

local function list(t)
  return type(t) == "table" and t or {}
end

-- Is a date ("YYYY-MM-DD" or "YYYY-MM") after today? A month is after today
-- only from the first day of the next month.
local function after_today(s, today)
  local y, m, d = wicket.parse_date(s)
  local ty, tm, td = wicket.parse_date(today)
  if not y or not ty then return false end
  if y ~= ty then return y > ty end
  if m ~= tm then return m > tm end
  return d ~= nil and d > td
end

local function rec_where(rec, i)
  return "recommendation " .. (type(rec.number) == "string" and rec.number or tostring(i))
end

-- Every action of the input with a label: recommendation actions, then the
-- actions linked to baselines.
local function each_action(input)
  local out = {}
  for i, rec in ipairs(list(input.recommendations)) do
    for j, a in ipairs(list(rec.actions)) do
      local label = type(a.id) == "string" and ("action " .. a.id)
        or (rec_where(rec, i) .. " action " .. j)
      out[#out + 1] = { action = a, where = label }
    end
  end
  for j, a in ipairs(list(input.actions)) do
    local label = type(a.id) == "string" and ("action " .. a.id)
      or ("baseline " .. tostring(a.baseline or "?") .. " action " .. j)
    out[#out + 1] = { action = a, where = label }
  end
  return out
end

local function rule(id, entry, description, check)
  wicket.rule{ id = id, entry = entry, description = description, check = check }
end

local function per_recommendation(id, description, fn)
  rule(id, "validate", description, function(input, ctx)
    local found = {}
    for i, rec in ipairs(list(input.recommendations)) do
      local f = fn(rec, ctx)
      if f then
        f.where = rec_where(rec, i)
        found[#found + 1] = f
      end
    end
    return found
  end)
end

local function per_action(id, description, fn)
  rule(id, "validate", description, function(input, ctx)
    local found = {}
    for _, item in ipairs(each_action(input)) do
      for _, f in ipairs(fn(item.action, ctx) or {}) do
        f.where = item.where
        found[#found + 1] = f
      end
    end
    return found
  end)
end

---------------------------------------------------------------------------
-- Inspection responses (validate)
---------------------------------------------------------------------------

per_recommendation("national.text-missing",
  "a recommendation whose text the source lost is a warning, not an error",
  function(rec)
    if rec.text_missing == true then
      return { severity = "warning",
               message = "the recommendation's text is missing from the source; complete it before sign-off" }
    end
  end)

per_recommendation("national.response-valid",
  "the response is agreed, partly_agreed or not_agreed",
  function(rec)
    if not RESPONSES[rec.response] then
      return { severity = rec.text_missing == true and "warning" or "error",
               message = "the response must be agreed, partly_agreed or not_agreed, not '"
                 .. tostring(rec.response) .. "'" }
    end
  end)

per_recommendation("national.partly-needs-reason",
  "Partly Agreed needs a reason category: commissioning, policy, operational or affordability",
  function(rec)
    if rec.response == "partly_agreed" and not REASONS[rec.reason_category] then
      return { message = "a partly agreed recommendation needs a reason category "
        .. "(commissioning, policy, operational or affordability)" }
    end
  end)

per_recommendation("national.partly-needs-part-implemented",
  "Partly Agreed says which part is implemented",
  function(rec)
    if rec.response == "partly_agreed" and blank(rec.part_implemented) then
      return { message = "a partly agreed recommendation must say which part will be implemented" }
    end
  end)

per_recommendation("national.partly-needs-action",
  "Partly Agreed has at least one action",
  function(rec)
    if rec.response == "partly_agreed" and #list(rec.actions) == 0 then
      return { message = "a partly agreed recommendation needs at least one action" }
    end
  end)

per_recommendation("national.not-agreed-needs-rationale",
  "Not Agreed explains why",
  function(rec)
    if rec.response == "not_agreed" and blank(rec.rationale) and blank(rec.response_text) then
      return { message = "a recommendation that is not agreed needs a rationale" }
    end
  end)

per_recommendation("national.not-agreed-needs-reason",
  "Not Agreed gives a reason category: commissioning, policy, operational or affordability",
  function(rec)
    if rec.response == "not_agreed" and not REASONS[rec.reason_category] then
      return { message = "a recommendation that is not agreed needs a reason category "
        .. "(commissioning, policy, operational or affordability)" }
    end
  end)

per_recommendation("national.not-agreed-no-actions",
  "Not Agreed has no actions",
  function(rec)
    if rec.response == "not_agreed" and #list(rec.actions) > 0 then
      return { message = "a recommendation that is not agreed cannot have actions" }
    end
  end)

per_recommendation("national.agreed-needs-action",
  "Agreed has at least one action (a recommendation whose text is missing only warns)",
  function(rec)
    if rec.response == "agreed" and #list(rec.actions) == 0 then
      if rec.text_missing == true then
        return { severity = "warning",
                 message = "an agreed recommendation needs at least one action; the source lost them" }
      end
      return { message = "an agreed recommendation needs at least one action" }
    end
  end)

per_action("national.action-needs-owner",
  "every action has a responsible owner",
  function(a)
    if blank(a.owner) then
      return { { message = "the action needs a responsible owner" } }
    end
  end)

-- A completed action whose target the plan wrote as "Completed" (or
-- "Completed and ongoing"), or that has a completion date, needs no target
-- date; nor does a cancelled one.
local function target_exempt(a)
  if a.status == "cancelled" then return true end
  if a.status ~= "completed" then return false end
  return wicket.parse_date(a.completion_date) ~= nil
    or (type(a.target_text) == "string" and a.target_text:lower():find("^%s*completed") ~= nil)
end

per_action("national.action-needs-target-date",
  "every action has a target date (YYYY-MM or YYYY-MM-DD), unless it was already completed",
  function(a)
    if a.target_date ~= nil then
      if not wicket.parse_date(a.target_date) then
        return { { message = "the target date '" .. tostring(a.target_date)
          .. "' is not a date (YYYY-MM or YYYY-MM-DD)" } }
      end
    elseif not target_exempt(a) then
      return { { message = "the action needs a target date" } }
    end
  end)

per_action("national.action-status-valid",
  "an action's status is open, in_progress, completed or cancelled",
  function(a)
    if a.status ~= nil and not ACTION_STATUSES[a.status] then
      return { { message = "the status must be open, in_progress, completed or cancelled, not '"
        .. tostring(a.status) .. "'" } }
    end
  end)

per_action("national.revision-needs-reason",
  "a revised target date gives a reason",
  function(a)
    local found = {}
    for k, r in ipairs(list(a.revisions)) do
      if blank(r.reason) then
        found[#found + 1] = { message = "revision " .. k .. " of the target date needs a reason" }
      end
      if r.target_date ~= nil and not wicket.parse_date(r.target_date) then
        found[#found + 1] = { message = "revision " .. k .. ": '" .. tostring(r.target_date)
          .. "' is not a date (YYYY-MM or YYYY-MM-DD)" }
      end
    end
    return found
  end)

per_action("national.completion-not-future",
  "a completion date is a real date and not in the future",
  function(a, ctx)
    if a.completion_date == nil then return nil end
    if not wicket.parse_date(a.completion_date) then
      return { { message = "the completion date '" .. tostring(a.completion_date) .. "' is not a date" } }
    end
    if after_today(a.completion_date, ctx.today) then
      return { { message = "the completion date " .. a.completion_date .. " is in the future (today is "
        .. ctx.today .. ")" } }
    end
  end)

rule("national.assessment-status-valid", "validate",
  "a baseline assessment's status is one of the known statuses",
  function(input)
    local found = {}
    for _, a in ipairs(list(input.assessments)) do
      if not ASSESSMENT_STATUSES[a.status] then
        found[#found + 1] = { where = "baseline " .. tostring(a.baseline),
          message = "the assessment status must be met, partly_met, not_met, in_progress, "
            .. "not_assessed or not_applicable, not '" .. tostring(a.status) .. "'" }
      end
    end
    return found
  end)

---------------------------------------------------------------------------
-- Privacy (validate): the system needs no prisoner identifiers
---------------------------------------------------------------------------

-- A NOMIS number: one letter, four digits, two letters, as a whole word.
local NOMIS = "%f[%w]%a%d%d%d%d%a%a%f[%W]"

local function privacy_texts(input)
  local texts = {}
  for _, ft in ipairs(list(input.free_text)) do
    texts[#texts + 1] = { where = tostring(ft.where), text = ft.text }
  end
  for i, rec in ipairs(list(input.recommendations)) do
    local w = rec_where(rec, i)
    for _, f in ipairs({ "text", "response_text", "part_implemented", "rationale" }) do
      texts[#texts + 1] = { where = w .. " " .. f, text = rec[f] }
    end
  end
  for _, item in ipairs(each_action(input)) do
    for _, f in ipairs({ "text", "owner", "target_text" }) do
      texts[#texts + 1] = { where = item.where .. " " .. f, text = item.action[f] }
    end
  end
  for _, a in ipairs(list(input.assessments)) do
    for _, f in ipairs({ "evidence", "rationale", "local_arrangement" }) do
      texts[#texts + 1] = { where = "baseline " .. tostring(a.baseline) .. " " .. f, text = a[f] }
    end
  end
  return texts
end

rule("national.privacy-prisoner-number", "validate",
  "free text that looks like a prisoner number (a NOMIS number such as A1234BC) is flagged",
  function(input)
    local found, seen = {}, {}
    for _, t in ipairs(privacy_texts(input)) do
      if type(t.text) == "string" and not seen[t.text] then
        local hit = t.text:match(NOMIS)
        if hit then
          seen[t.text] = true
          found[#found + 1] = { where = t.where, severity = "warning",
            message = "the text holds '" .. hit .. "', which looks like a prisoner number; "
              .. "plans must not identify prisoners" }
        end
      end
    end
    return found
  end)

---------------------------------------------------------------------------
-- Readiness for a stage
---------------------------------------------------------------------------

local function assessment_map(input)
  local by = {}
  for _, a in ipairs(list(input.assessments)) do
    if type(a.baseline) == "string" then by[a.baseline] = a end
  end
  return by
end

-- Do the baselines of this input's EDM apply to a move to input.stage?
-- Stages run 4 (Lockdown) to 1 (Prepare); an EDM holds the tasks to complete
-- before moving towards its towards_stage. Staying put or moving to a more
-- restrictive stage needs no readiness.
local function readiness_applies(input)
  local stage = input.stage
  if math.type(stage) ~= "integer" or stage < 1 or stage > 4 then
    error("readiness: stage must be 1, 2, 3 or 4, not " .. tostring(stage), 0)
  end
  local est = type(input.establishment) == "table" and input.establishment or {}
  if math.type(est.current_stage) == "integer" and stage >= est.current_stage then
    return false
  end
  local edm = type(input.edm) == "table" and input.edm or {}
  if math.type(edm.towards_stage) == "integer" and stage > edm.towards_stage then
    return false
  end
  return true
end

local STATUS_WORDS = {
  partly_met = "partly met", not_met = "not met", in_progress = "in progress",
  not_assessed = "not assessed", not_applicable = "marked not applicable",
}

local function per_baseline(id, description, fn)
  rule(id, "readiness", description, function(input, ctx)
    if not readiness_applies(input) then return nil end
    local by, found = assessment_map(input), {}
    for _, b in ipairs(ctx.baselines) do
      if not ctx.not_applicable[b.id] then
        local a = by[b.id] or { status = "not_assessed" }
        local f = fn(b, a, input)
        if f then
          f.baseline = b.id
          found[#found + 1] = f
        end
      end
    end
    return found
  end)
end

local function status_of(a)
  return STATUS_WORDS[a.status] or tostring(a.status)
end

per_baseline("national.mandatory-weight3-met",
  "a mandatory weight-3 baseline (a precursor) that is not met blocks the move to a less restrictive stage",
  function(b, a, input)
    if b.mandatory and b.weighting == 3 and a.status ~= "met" and a.status ~= "not_applicable" then
      return { severity = "red", message = "baseline " .. b.id .. " is mandatory with weighting 3 (a precursor) and is "
        .. status_of(a) .. ": it must be met before moving to stage " .. input.stage }
    end
  end)

per_baseline("national.mandatory-met",
  "a mandatory weight-1 or weight-2 baseline that is not met makes readiness amber",
  function(b, a, input)
    if b.mandatory and b.weighting ~= 3 and a.status ~= "met" and a.status ~= "not_applicable" then
      return { severity = "amber", message = "baseline " .. b.id .. " is mandatory with weighting "
        .. tostring(b.weighting) .. " and is " .. status_of(a) }
    end
  end)

per_baseline("national.limited-not-applicable",
  "a limited-autonomy baseline cannot be assessed as not applicable",
  function(b, a)
    if a.status == "not_applicable" and b.autonomy == "limited" then
      return { severity = "red", message = "baseline " .. b.id
        .. " has limited autonomy: it must be delivered as stipulated and cannot be not applicable" }
    end
  end)

per_baseline("national.not-applicable-needs-rationale",
  "a baseline assessed as not applicable says why",
  function(b, a)
    if a.status == "not_applicable" and b.autonomy ~= "limited" and blank(a.rationale) then
      return { severity = "amber", message = "baseline " .. b.id .. " is assessed as not applicable with no rationale" }
    end
  end)

per_baseline("national.met-needs-evidence",
  "a baseline assessed as met names its evidence",
  function(b, a)
    if a.status == "met" and blank(a.evidence) then
      return { severity = "amber", message = "baseline " .. b.id .. " is assessed as met but names no evidence" }
    end
  end)

---------------------------------------------------------------------------
-- Delivery options of the partial-autonomy baselines of the OMU EDM
---------------------------------------------------------------------------
-- The EDM defines partial autonomy as "the ability to choose from
-- pre-determined delivery options (which are specified)", but the source
-- document lists none. These options are read from each baseline's own
-- wording; the national OMU team should confirm them. An EDM catalogue that
-- gives a baseline its own delivery_options takes precedence.

wicket.delivery_options("2.4", {
  { id = "national-priority-order", text = "the five listed priorities first, then by risk of serious harm and stage of sentence" },
  { id = "backlog-reduction", text = "as above, using restricted-regime time to reduce the OASys backlog" },
})
wicket.delivery_options("2.5", {
  { id = "face-to-face", text = "supervision face to face, observing social distancing" },
  { id = "alternative-technology", text = "supervision by alternative technology" },
  { id = "duty-pom", text = "a duty POM system for priority and other vulnerable groups" },
})
wicket.delivery_options("2.7", {
  { id = "remote-consultation", text = "HMPPS Psychology consultation to POMs remotely" },
  { id = "face-to-face-consultation", text = "HMPPS Psychology consultation to POMs face to face" },
})
for _, id in ipairs({ "2.8", "2.9" }) do
  wicket.delivery_options(id, {
    { id = "in-person", text = "meetings in person" },
    { id = "video-link", text = "meetings by video link" },
  })
end
for _, id in ipairs({ "3.5", "3.7" }) do
  wicket.delivery_options(id, {
    { id = "in-person", text = "communication to the prisoner in person" },
    { id = "in-writing", text = "communication to the prisoner in writing" },
    { id = "video-link", text = "communication to the prisoner by video link" },
  })
end

---------------------------------------------------------------------------
-- Sequencing: precursors (weight 3) first, weight 1 last
---------------------------------------------------------------------------

-- Within an area, weight-2 work waits on the area's weight-3 precursors that
-- are not yet met, and weight-1 work on every outstanding baseline of higher
-- weight ("once others have been completed").
wicket.compute("sequence", function(input, ctx)
  local by = assessment_map(input)
  local items = {}
  for i, b in ipairs(ctx.baselines) do
    if not ctx.not_applicable[b.id] then
      local a = by[b.id]
      items[#items + 1] = { b = b, pos = i, status = a and a.status or "not_assessed" }
    end
  end
  table.sort(items, function(x, y)
    local wx, wy = x.b.weighting or 1, y.b.weighting or 1
    if wx ~= wy then return wx > wy end
    return x.pos < y.pos
  end)
  local order = {}
  for step, it in ipairs(items) do
    local waits = {}
    for _, other in ipairs(items) do
      if other.b.area == it.b.area and (other.b.weighting or 1) > (it.b.weighting or 1)
        and other.status ~= "met" then
        waits[#waits + 1] = other.b.id
      end
    end
    order[#order + 1] = { step = step, baseline = it.b.id, weighting = it.b.weighting, area = it.b.area,
                          status = it.status, waits_on = waits }
  end
  return { order = order }
end)

---------------------------------------------------------------------------
-- Applicability by establishment category and function
---------------------------------------------------------------------------

-- Category: A, B, C (closed male), D (open male), "female-closed",
-- "female-open", "yoi-closed", "yoi-open". establishment.sex, when given,
-- overrides what the category implies.
local function estate_of(est)
  local cat = type(est.category) == "string" and est.category:lower() or ""
  local sex = est.sex
  if sex == nil then sex = cat:find("^female") and "female" or "male" end
  local security = (cat == "d" or cat:find("open$")) and "open" or "closed"
  return sex, security, cat
end

wicket.compute("applicability", function(input)
  local est = type(input.establishment) == "table" and input.establishment or {}
  local sex, security = estate_of(est)
  local out = {}
  for _, edm in ipairs(list(input.edms)) do
    local want = type(edm.applies_to) == "table" and edm.applies_to or {}
    local applies, why = true, {}
    if want.sex and want.sex ~= sex then
      applies = false
      why[#why + 1] = "it is for the " .. want.sex .. " estate and the establishment is " .. sex
    end
    if want.security and want.security ~= security then
      applies = false
      why[#why + 1] = "it is for " .. want.security .. " conditions and the establishment is " .. security
    end
    if type(want.functions) == "table" then
      local ok = false
      for _, f in ipairs(want.functions) do if f == est["function"] then ok = true end end
      if not ok then
        applies = false
        why[#why + 1] = "it does not cover the function '" .. tostring(est["function"]) .. "'"
      end
    end
    local reason = applies and ("category " .. tostring(est.category) .. " (" .. sex .. ", " .. security
      .. ") is in the " .. tostring(edm.estate or "estate it covers")) or table.concat(why, "; ")
    out[#out + 1] = { code = edm.code, version = edm.version, title = edm.title, applies = applies,
                      reason = reason }
  end
  return { establishment = est.code, edms = out }
end)
