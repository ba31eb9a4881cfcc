/*
 * fuzz_actionplan_csv.c - importing an inspection action plan from a
 * hostile CSV file (client/inspection.h, docs/import-format.md): the
 * parse and every check that runs before anything is written, as
 * `wicket actionplan import` does.
 *
 * Checked beyond "no crash": a plan that is accepted has the documented
 * shape (format "wicket-actionplan", an inspection object, a list of
 * recommendations).
 */
#include <jansson.h>
#include <stdint.h>

#include "inspection.h"
#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wk_import_options o = WK_IMPORT_OPTIONS_INIT;
	json_t *plan = NULL;

	o.format = "csv";
	o.inspection_id = "omic-pre-release-2022";
	o.title = "OMiC pre-release thematic";
	o.inspectorate = "HMI Prisons";
	o.published = "2022-11-01";
	o.submitted = "2023-01-20";
	if (fz_note("parse", wk_actionplan_parse((const char *)data, size, &o, &plan)) == 0) {
		if (!json_is_object(plan) || !json_is_object(json_object_get(plan, "inspection")) ||
		    !json_is_array(json_object_get(plan, "recommendations")))
			fz_die("an accepted action plan does not have the documented shape");
	} else if (plan) {
		fz_die("a refused action plan left *plan set");
	}
	json_decref(plan);
	return 0;
}
