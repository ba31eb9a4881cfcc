-- HMP-A (example): a category C training prison for adult men aged 25 and over.
-- Its local variations of the national OMU rules. Every variation here only
-- adds to the national rules or uses an autonomy the EDM grants; the host
-- refuses anything that would weaken them (docs/policies.md).

-- 2.9 (partial autonomy): the prison holds no young adults.
wicket.not_applicable("2.9", "HMP-A holds men aged 25 and over only: there are no youth to adult transitions")

-- Partial-autonomy baselines: the delivery options chosen here.
wicket.delivery_option("2.5", "duty-pom")
wicket.delivery_option("2.7", "remote-consultation")

-- A local baseline, assessed and sequenced like the national ones.
wicket.baseline{
  id = "A-L1",
  text = "A daily OMU huddle reviews the priority cohort list with the Head of Offender Management Delivery",
  weighting = 2,
  mandatory = true,
}

-- Local validation: a target date more than 18 months ahead is not SMART here.
local function months_ahead(date, today)
  local y, m = wicket.parse_date(date)
  local ty, tm = wicket.parse_date(today)
  if not y or not ty then return 0 end
  return (y - ty) * 12 + (m - tm)
end

wicket.rule{
  id = "local.target-within-18-months",
  entry = "validate",
  description = "HMP-A: action target dates are at most 18 months ahead",
  check = function(input, ctx)
    local found = {}
    for i, rec in ipairs(input.recommendations or {}) do
      for j, a in ipairs(rec.actions or {}) do
        if a.target_date and months_ahead(a.target_date, ctx.today) > 18 then
          found[#found + 1] = {
            where = "recommendation " .. tostring(rec.number or i) .. " action " .. j,
            severity = "warning",
            message = "the target date " .. a.target_date .. " is more than 18 months away; split the action",
          }
        end
      end
    end
    return found
  end,
}

-- Stricter readiness: here a mandatory weight-2 baseline that is not met is
-- red, not amber (the national rule's amber blocker stays as well).
wicket.on("readiness", function(input, ctx)
  local status = {}
  for _, a in ipairs(input.assessments or {}) do status[a.baseline] = a.status end
  local found = {}
  for _, b in ipairs(ctx.baselines) do
    if b.mandatory and b.weighting == 2 and not ctx.not_applicable[b.id] and status[b.id] ~= "met" then
      found[#found + 1] = {
        baseline = b.id,
        rule = "local.weight2-is-red",
        severity = "red",
        message = "HMP-A treats mandatory weight-2 baseline " .. b.id .. " as a precursor: it must be met",
      }
    end
  end
  return found
end)
