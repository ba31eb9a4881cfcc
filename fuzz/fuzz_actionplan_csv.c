/*
 * fuzz_actionplan_csv.c - importing an inspection action plan from a
 * hostile CSV file (client/inspection.h, docs/import-format.md): the
 * parse and every check that runs before anything is written, as
 * `wicket actionplan import` does.
 *
 * Checked beyond "no crash": fz_actionplan (world.h).
 */
#include <stdint.h>

#include "world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_actionplan(data, size, "csv");
}
