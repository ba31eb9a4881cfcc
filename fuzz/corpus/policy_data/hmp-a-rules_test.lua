-- Test cases for policies/sites/HMP-A/rules.lua (with the national rules).
-- Run: wicket policy test policies/sites/HMP-A/rules_test.lua
-- Format (docs/policies.md): a data chunk returning a list of cases
--   { name = ..., entry = ..., input = {...}, expect = {...} }   or   error = "text"
-- `fixtures.edm` is the OMU catalogue. expect matches part of the result:
-- named fields must be equal, a list matches when each expected element
-- matches some element of the result, and {} means "empty".

local edm = fixtures.edm
local SITE = { code = "HMP-A", name = "HMP A (example)", category = "C", ["function"] = "training",
               current_stage = 3 }

-- Every baseline met with evidence, then the given changes ({ ["1.1"] = "not_met" }).
local function assessments(changes)
  local list = {}
  for _, area in ipairs(edm.areas) do
    for _, b in ipairs(area.baselines) do
      list[#list + 1] = { baseline = b.id, status = changes[b.id] or "met", evidence = "OMU meeting minutes" }
    end
  end
  list[#list + 1] = { baseline = "A-L1", status = changes["A-L1"] or "met", evidence = "huddle log" }
  return list
end

local function readiness(changes)
  return { stage = 2, establishment = SITE, edm = edm, assessments = assessments(changes) }
end

return {
  {
    name = "everything met: green, with 2.9 not applicable and the chosen options listed",
    entry = "readiness",
    input = readiness({ ["2.9"] = "not_assessed" }),
    expect = {
      result = "green",
      blockers = {},
      not_applicable = { { baseline = "2.9", source = "sites/HMP-A/rules.lua" } },
      delivery = { { baseline = "2.5", option = "duty-pom" }, { baseline = "2.7", option = "remote-consultation" } },
    },
  },
  {
    name = "a mandatory weight-2 baseline not met is red at HMP-A",
    entry = "readiness",
    input = readiness({ ["2.5"] = "partly_met" }),
    expect = {
      result = "red",
      blockers = {
        { baseline = "2.5", rule = "national.mandatory-met", severity = "amber" },
        { baseline = "2.5", rule = "local.weight2-is-red", severity = "red", source = "sites/HMP-A/rules.lua" },
      },
    },
  },
  {
    name = "the local baseline is assessed like a national one",
    entry = "readiness",
    input = readiness({ ["A-L1"] = "in_progress" }),
    expect = { result = "red", blockers = { { baseline = "A-L1", rule = "local.weight2-is-red" } } },
  },
  {
    name = "a national precursor not met still blocks",
    entry = "readiness",
    input = readiness({ ["1.1"] = "not_met" }),
    expect = { result = "red", blockers = { { baseline = "1.1", rule = "national.mandatory-weight3-met" } } },
  },
  {
    name = "a target more than 18 months ahead is a local warning",
    entry = "validate",
    today = "2023-01-15",
    input = {
      recommendations = {
        { number = "1", response = "agreed", text = "Do the thing.",
          actions = { { text = "Do it", owner = "Head of OMU", target_date = "2025-01", status = "open" } } },
      },
    },
    expect = { ok = true, errors = {},
               warnings = { { rule = "local.target-within-18-months", where = "recommendation 1 action 1" } } },
  },
  {
    name = "the local baseline comes after the precursors in the work order",
    entry = "sequence",
    input = { edm = edm, assessments = assessments({}) },
    expect = { order = { { baseline = "A-L1", weighting = 2 }, { baseline = "1.1", step = 1 } } },
  },
}
