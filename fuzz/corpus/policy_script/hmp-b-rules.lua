-- HMP-B (example): a category B reception prison serving the local courts.
-- Its local variations of the national OMU rules: different baselines out of
-- scope, different delivery options, a local precursor baseline, a local rule
-- on owners, and a stricter readiness check on delivery options.

-- 3.7 (partial autonomy): recall discussions for this site are run by the
-- regional recall hub under a local agreement.
wicket.not_applicable("3.7", "recall discussions are run by the regional recall hub (local agreement, 2022)")

wicket.delivery_option("2.4", "backlog-reduction")
wicket.delivery_option("2.5", "alternative-technology")
wicket.delivery_option("3.5", "in-writing")

-- A local precursor: a weight-3 mandatory baseline, so the national rule
-- national.mandatory-weight3-met blocks readiness while it is not met.
wicket.baseline{
  id = "B-L1",
  text = "Every new reception has a release date check within 48 hours of arrival",
  weighting = 3,
  mandatory = true,
}

-- Local validation: owners are roles, never a named person.
local TITLES = { "^%s*[Mm]r%.?%s", "^%s*[Mm]rs%.?%s", "^%s*[Mm]s%.?%s", "^%s*[Mm]iss%s", "^%s*[Dd]r%.?%s" }

wicket.rule{
  id = "local.owner-is-a-role",
  entry = "validate",
  description = "HMP-B: an action's owner is a role, not a named person",
  check = function(input)
    local found = {}
    for i, rec in ipairs(input.recommendations or {}) do
      for j, a in ipairs(rec.actions or {}) do
        for _, t in ipairs(TITLES) do
          if type(a.owner) == "string" and a.owner:find(t) then
            found[#found + 1] = {
              where = "recommendation " .. tostring(rec.number or i) .. " action " .. j,
              message = "the owner '" .. a.owner .. "' names a person; give the role instead",
            }
            break
          end
        end
      end
    end
    return found
  end,
}

-- Stricter readiness: every partial-autonomy baseline in scope must have a
-- delivery option chosen in this script before the move.
wicket.on("readiness", function(input, ctx)
  local found = {}
  for _, b in ipairs(ctx.baselines) do
    if b.autonomy == "partial" and not ctx.not_applicable[b.id] and not ctx.delivery[b.id] then
      found[#found + 1] = {
        baseline = b.id,
        rule = "local.delivery-option-chosen",
        severity = "amber",
        message = "HMP-B has not chosen a delivery option for partial-autonomy baseline " .. b.id,
      }
    end
  end
  return found
end)
