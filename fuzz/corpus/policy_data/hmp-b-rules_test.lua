-- Test cases for policies/sites/HMP-B/rules.lua (with the national rules).
-- Run: wicket policy test policies/sites/HMP-B/rules_test.lua
-- Format: see policies/sites/HMP-A/rules_test.lua and docs/policies.md.

local edm = fixtures.edm
local SITE = { code = "HMP-B", name = "HMP B (example)", category = "B", ["function"] = "reception",
               current_stage = 3 }

local function assessments(changes)
  local list = {}
  for _, area in ipairs(edm.areas) do
    for _, b in ipairs(area.baselines) do
      list[#list + 1] = { baseline = b.id, status = changes[b.id] or "met", evidence = "OMU audit" }
    end
  end
  list[#list + 1] = { baseline = "B-L1", status = changes["B-L1"] or "met", evidence = "reception log" }
  return list
end

local function readiness(changes)
  return { stage = 2, establishment = SITE, edm = edm, assessments = assessments(changes) }
end

local function plan_with_owner(owner)
  return {
    recommendations = {
      { number = "1", response = "agreed", text = "Improve release planning.",
        actions = { { text = "Review the process", owner = owner, target_date = "2023-06", status = "open" } } },
    },
  }
end

return {
  {
    name = "partial baselines without a chosen option make readiness amber",
    entry = "readiness",
    input = readiness({}),
    expect = {
      result = "amber",
      blockers = {
        { baseline = "2.7", rule = "local.delivery-option-chosen", severity = "amber" },
        { baseline = "2.8", rule = "local.delivery-option-chosen" },
        { baseline = "2.9", rule = "local.delivery-option-chosen" },
      },
      not_applicable = { { baseline = "3.7" } },
    },
  },
  {
    name = "the local precursor B-L1 not met blocks through the national rule",
    entry = "readiness",
    input = readiness({ ["B-L1"] = "not_met" }),
    expect = { result = "red",
               blockers = { { baseline = "B-L1", rule = "national.mandatory-weight3-met", source = "national/rules.lua" } } },
  },
  {
    name = "3.7 is not applicable here, so not assessing it does not block",
    entry = "readiness",
    input = readiness({ ["3.7"] = "not_assessed" }),
    expect = { result = "amber" },
  },
  {
    name = "an owner that names a person is an error at HMP-B",
    entry = "validate",
    input = plan_with_owner("Mr J Smith"),
    expect = { ok = false, errors = { { rule = "local.owner-is-a-role", source = "sites/HMP-B/rules.lua" } } },
  },
  {
    name = "an owner that is a role passes",
    entry = "validate",
    input = plan_with_owner("Head of Offender Management Delivery"),
    expect = { ok = true, errors = {} },
  },
  {
    name = "B-L1 is sequenced with the weight-3 precursors",
    entry = "sequence",
    input = { edm = edm, assessments = assessments({ ["B-L1"] = "not_met" }) },
    expect = { order = { { baseline = "B-L1", weighting = 3, status = "not_met" } } },
  },
}
