-- National regime stages.
--
-- Source: docs/reference/000_cb2c8140e1f61681.txt ("Under Red Regime (Stage 4) Lockdown ...",
-- "Stage 3 (Restrict)", "Stage 2 (Reduce)", "Stage 1 (Prepare)"). Pure data: this chunk only
-- returns a table (no function calls, no globals, no require). A colour is given only where the
-- source gives one (Red, for stage 4). Order: 4, 3, 2, 1. The high-level descriptors of each
-- stage are in the EDM catalogues (policies/national/edm/*.lua, field stage_descriptors).
return {
  kind = "stages",
  version = 1,
  stages = {
    { number = 4, name = "Lockdown", colour = "Red" },
    { number = 3, name = "Restrict" },
    { number = 2, name = "Reduce" },
    { number = 1, name = "Prepare" },
  },
}
