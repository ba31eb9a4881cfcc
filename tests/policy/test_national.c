/*
 * test_national.c - the national rules (policies/national/rules.lua): the
 * sample action plan passes; each rule has a failing case and a passing one;
 * readiness, sequencing and applicability on the OMU catalogue.
 */
#include "test.h"
#include "policy.h"
#include "error.h"

#include <jansson.h>

static wk_buf rules_src = WK_BUF_INIT;
static json_t *edm;

static int eval(wk_buf *out, const char *entry, const char *input)
{
	wk_policy_script s = { "national/rules.lua", rules_src.ptr, rules_src.len };

	wk_error_clear();
	wk_buf_clear(out);
	return wk_policy_eval(out, &s, 1, entry, input, "2023-01-15", NULL);
}

static int eval_json(wk_buf *out, const char *entry, json_t *input)
{
	char *text = json_dumps(input, JSON_COMPACT);
	int rc = eval(out, entry, text);

	free(text);
	return rc;
}

/* One recommendation as a validate input. */
#define REC(body) "{\"recommendations\":[{\"number\":\"1\",\"text\":\"t\"," body "}]}"
#define ACT(body) "{\"text\":\"do\",\"owner\":\"Head of OMU\"," body "}"
#define GOOD_ACT ACT("\"target_date\":\"2023-06\",\"status\":\"open\"")

static void expect_rule(const char *input, const char *rule, int error)
{
	wk_buf out = WK_BUF_INIT;
	char needle[128];

	CHECK_EQ_INT(eval(&out, "validate", input), 0);
	if (wk_error_code())
		fprintf(stderr, "  %s\n", wk_error_msg());
	snprintf(needle, sizeof(needle), "\"rule\":\"%s\"", rule);
	CHECK_CONTAINS(out.ptr, needle);
	CHECK_CONTAINS(out.ptr, error ? "\"ok\":false" : "\"ok\":true");
	if (error)
		CHECK(strstr(out.ptr, "\"errors\":[{") != NULL && strstr(out.ptr, needle) < strstr(out.ptr, "\"ok\":"));
	wk_buf_free(&out);
}

static void expect_clean(const char *input, const char *rule)
{
	wk_buf out = WK_BUF_INIT;
	char needle[128];

	CHECK_EQ_INT(eval(&out, "validate", input), 0);
	snprintf(needle, sizeof(needle), "\"rule\":\"%s\"", rule);
	if (out.ptr && strstr(out.ptr, needle))
		fprintf(stderr, "  unexpected %s in %s\n", rule, out.ptr);
	CHECK(out.ptr && !strstr(out.ptr, needle));
	wk_buf_free(&out);
}

static void test_validate_rules(void)
{
	/* Partly Agreed */
	expect_rule(REC("\"response\":\"partly_agreed\",\"part_implemented\":\"a\",\"actions\":[" GOOD_ACT "]"),
	            "national.partly-needs-reason", 1);
	expect_rule(REC("\"response\":\"partly_agreed\",\"reason_category\":\"weather\",\"part_implemented\":\"a\","
	                "\"actions\":[" GOOD_ACT "]"), "national.partly-needs-reason", 1);
	expect_rule(REC("\"response\":\"partly_agreed\",\"reason_category\":\"policy\",\"actions\":[" GOOD_ACT "]"),
	            "national.partly-needs-part-implemented", 1);
	expect_rule(REC("\"response\":\"partly_agreed\",\"reason_category\":\"policy\",\"part_implemented\":\"a\","
	                "\"actions\":[]"), "national.partly-needs-action", 1);
	expect_clean(REC("\"response\":\"partly_agreed\",\"reason_category\":\"affordability\","
	                 "\"part_implemented\":\"part a\",\"actions\":[" GOOD_ACT "]"), "national.partly-");
	/* Not Agreed */
	expect_rule(REC("\"response\":\"not_agreed\",\"reason_category\":\"policy\",\"actions\":[]"),
	            "national.not-agreed-needs-rationale", 1);
	expect_rule(REC("\"response\":\"not_agreed\",\"response_text\":\"because\",\"actions\":[]"),
	            "national.not-agreed-needs-reason", 1);
	expect_rule(REC("\"response\":\"not_agreed\",\"reason_category\":\"commissioning\",\"rationale\":\"why\","
	                "\"actions\":[" GOOD_ACT "]"), "national.not-agreed-no-actions", 1);
	expect_clean(REC("\"response\":\"not_agreed\",\"reason_category\":\"commissioning\",\"rationale\":\"why\","
	                 "\"actions\":[]"), "national.not-agreed");
	/* Agreed */
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[]"), "national.agreed-needs-action", 1);
	expect_rule(REC("\"response\":\"agreed\",\"text_missing\":true,\"actions\":[]"),
	            "national.agreed-needs-action", 0);
	expect_rule(REC("\"response\":\"agreed\",\"text_missing\":true,\"actions\":[]"),
	            "national.text-missing", 0);
	expect_rule(REC("\"response\":\"maybe\",\"actions\":[" GOOD_ACT "]"), "national.response-valid", 1);
	expect_clean(REC("\"response\":\"agreed\",\"actions\":[" GOOD_ACT "]"), "national.");
	/* Actions */
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[{\"text\":\"x\",\"target_date\":\"2023-06\"}]"),
	            "national.action-needs-owner", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"status\":\"open\"") "]"),
	            "national.action-needs-target-date", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"June 2023\"") "]"),
	            "national.action-needs-target-date", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-02-29\"") "]"),
	            "national.action-needs-target-date", 1);
	expect_clean(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"status\":\"completed\","
	                 "\"target_text\":\"Completed\"") "," ACT("\"status\":\"completed\","
	                 "\"target_text\":\"Completed and ongoing\"") "]"), "national.action-needs-target-date");
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"status\":\"open\",\"target_text\":\"Completed\"") "]"),
	            "national.action-needs-target-date", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-06\",\"status\":\"done\"") "]"),
	            "national.action-status-valid", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-09\",\"revisions\":"
	                "[{\"target_date\":\"2023-06\",\"reason\":\"staffing\"},{\"target_date\":\"2023-09\"}]") "]"),
	            "national.revision-needs-reason", 1);
	expect_clean(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-09\",\"revisions\":"
	                 "[{\"target_date\":\"2023-06\",\"reason\":\"staffing\"}]") "]"), "national.revision");
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-06\",\"status\":\"completed\","
	                "\"completion_date\":\"2023-01-16\"") "]"), "national.completion-not-future", 1);
	expect_rule(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-06\",\"status\":\"completed\","
	                "\"completion_date\":\"2023-02\"") "]"), "national.completion-not-future", 1);
	expect_clean(REC("\"response\":\"agreed\",\"actions\":[" ACT("\"target_date\":\"2023-06\",\"status\":\"completed\","
	                 "\"completion_date\":\"2023-01-15\"") "," ACT("\"target_date\":\"2023-06\","
	                 "\"completion_date\":\"2023-01\"") "]"), "national.completion-not-future");
	/* Actions linked to baselines follow the same rules. */
	expect_rule("{\"actions\":[{\"id\":\"B7\",\"baseline\":\"1.1\",\"text\":\"x\",\"target_date\":\"2023-06\"}]}",
	            "national.action-needs-owner", 1);
	expect_rule("{\"assessments\":[{\"baseline\":\"1.1\",\"status\":\"done\"}]}",
	            "national.assessment-status-valid", 1);
}

static void test_privacy(void)
{
	wk_buf out = WK_BUF_INIT;

	CHECK_EQ_INT(eval(&out, "validate", "{\"free_text\":[{\"where\":\"action A1 text\","
	                  "\"text\":\"Call about A1234BC tomorrow\"}]}"), 0);
	CHECK_CONTAINS(out.ptr, "\"rule\":\"national.privacy-prisoner-number\"");
	CHECK_CONTAINS(out.ptr, "\"where\":\"action A1 text\"");
	CHECK_CONTAINS(out.ptr, "\"ok\":true"); /* a warning, not an error */
	CHECK_EQ_INT(eval(&out, "validate", REC("\"response\":\"agreed\",\"actions\":[{\"owner\":\"o\","
	                  "\"target_date\":\"2023-06\",\"text\":\"review g4321xy case\"}]")), 0);
	CHECK_CONTAINS(out.ptr, "national.privacy-prisoner-number");
	/* Not word-bounded, or the wrong shape: not flagged. */
	CHECK_EQ_INT(eval(&out, "validate", "{\"free_text\":[{\"where\":\"w\",\"text\":\"XA1234BC A12345BC "
	                  "A1234B 1234BC ref-A1234BCD\"}]}"), 0);
	CHECK(!strstr(out.ptr, "privacy"));
	wk_buf_free(&out);
}

/* The sample plan converted to the validate input ("June 2023" -> "2023-06"). */
static json_t *sample_input(void)
{
	static const char *months[] = { "january", "february", "march", "april", "may", "june", "july",
	                                 "august", "september", "october", "november", "december" };
	json_error_t jerr;
	json_t *plan = json_load_file(test_src("samples/actionplan-omic-pre-release-2022.json"), 0, &jerr);
	json_t *recs, *rec, *act, *in;
	size_t i, j;
	int m;

	if (!plan) {
		fprintf(stderr, "cannot read the sample plan: %s\n", jerr.text);
		return NULL;
	}
	recs = json_object_get(plan, "recommendations");
	json_array_foreach(recs, i, rec) {
		json_array_foreach(json_object_get(rec, "actions"), j, act) {
			const char *target = json_string_value(json_object_get(act, "target"));
			char month[32], date[32];
			int year;

			json_object_set_new(act, "target_text", json_string(target));
			target = json_string_value(json_object_get(act, "target_text"));
			json_object_del(act, "target");
			if (strncasecmp(target, "completed", 9) == 0) {
				json_object_set_new(act, "status", json_string("completed"));
				continue;
			}
			json_object_set_new(act, "status", json_string("open"));
			if (sscanf(target, "%31s %d", month, &year) != 2)
				continue;
			for (m = 0; m < 12; m++) {
				if (strcasecmp(month, months[m]) == 0) {
					snprintf(date, sizeof(date), "%04d-%02d", year, m + 1);
					json_object_set_new(act, "target_date", json_string(date));
				}
			}
		}
	}
	in = json_pack("{s:O,s:O}", "inspection", json_object_get(plan, "inspection"),
	               "recommendations", recs);
	json_decref(plan);
	return in;
}

static void test_sample_plan(void)
{
	json_t *in = sample_input();
	wk_buf out = WK_BUF_INIT;

	CHECK(in != NULL);
	if (!in)
		return;
	CHECK_EQ_INT(eval_json(&out, "validate", in), 0);
	CHECK_CONTAINS(out.ptr, "\"errors\":[]");
	CHECK_CONTAINS(out.ptr, "\"ok\":true");
	CHECK_CONTAINS(out.ptr, "\"rule\":\"national.text-missing\",\"source\":\"national/rules.lua\","
	                        "\"where\":\"recommendation 8\"");
	CHECK_CONTAINS(out.ptr, "\"scripts\":[{\"name\":\"national/rules.lua\",\"sha256\":\"");
	printf("sample plan: %s\n", out.ptr);
	json_decref(in);
	wk_buf_free(&out);
}

/* A readiness input: every baseline met with evidence, then one change. */
static json_t *readiness_input(int stage, const char *id, const char *status, const char *evidence)
{
	json_t *list = json_array(), *area, *b;
	size_t i, j;

	json_array_foreach(json_object_get(edm, "areas"), i, area) {
		json_array_foreach(json_object_get(area, "baselines"), j, b) {
			const char *bid = json_string_value(json_object_get(b, "id"));
			int hit = id && strcmp(bid, id) == 0;

			json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "baseline", bid,
			                                      "status", hit ? status : "met",
			                                      "evidence", hit && evidence ? evidence : "minutes"));
		}
	}
	return json_pack("{s:i,s:{s:s,s:s,s:i},s:O,s:o}", "stage", stage, "establishment",
	                 "code", "HMP-A", "category", "C", "current_stage", 3, "edm", edm,
	                 "assessments", list);
}

static void expect_readiness(int stage, const char *id, const char *status, const char *evidence,
                             const char *result, const char *rule)
{
	json_t *in = readiness_input(stage, id, status, evidence);
	wk_buf out = WK_BUF_INIT;
	char needle[160];

	CHECK_EQ_INT(eval_json(&out, "readiness", in), 0);
	if (wk_error_code())
		fprintf(stderr, "  %s\n", wk_error_msg());
	snprintf(needle, sizeof(needle), "\"result\":\"%s\"", result);
	CHECK_CONTAINS(out.ptr, needle);
	if (rule) {
		snprintf(needle, sizeof(needle), "\"baseline\":\"%s\",\"message\":", id);
		CHECK_CONTAINS(out.ptr, needle);
		snprintf(needle, sizeof(needle), "\"rule\":\"%s\"", rule);
		CHECK_CONTAINS(out.ptr, needle);
	} else {
		CHECK_CONTAINS(out.ptr, "\"blockers\":[]");
	}
	json_decref(in);
	wk_buf_free(&out);
}

static void test_readiness(void)
{
	expect_readiness(2, NULL, NULL, NULL, "green", NULL);
	expect_readiness(2, "1.1", "not_met", NULL, "red", "national.mandatory-weight3-met");
	expect_readiness(2, "2.4", "in_progress", NULL, "red", "national.mandatory-weight3-met");
	expect_readiness(2, "2.5", "partly_met", NULL, "amber", "national.mandatory-met");
	expect_readiness(2, "1.2", "not_applicable", NULL, "red", "national.limited-not-applicable");
	expect_readiness(2, "2.8", "not_applicable", NULL, "amber", "national.not-applicable-needs-rationale");
	expect_readiness(2, "3.1", "met", "", "amber", "national.met-needs-evidence");
	/* Staying at stage 3 (or moving back to 4) needs no readiness. */
	expect_readiness(3, "1.1", "not_met", NULL, "green", NULL);
	expect_readiness(4, "1.1", "not_met", NULL, "green", NULL);
	{
		json_t *in = readiness_input(7, NULL, NULL, NULL);
		wk_buf out = WK_BUF_INIT;

		CHECK_EQ_INT(eval_json(&out, "readiness", in), WK_EINVALID);
		CHECK_CONTAINS(wk_error_msg(), "policy 'national/rules.lua' line");
		CHECK_CONTAINS(wk_error_msg(), "stage must be 1, 2, 3 or 4, not 7");
		json_decref(in);
		wk_buf_free(&out);
	}
}

static void test_sequence(void)
{
	json_t *in = readiness_input(2, "1.1", "not_met", NULL);
	wk_buf out = WK_BUF_INIT;
	json_t *res, *order, *item;
	size_t i;
	int last = 3, ok = 1;

	CHECK_EQ_INT(eval_json(&out, "sequence", in), 0);
	res = json_loads(out.ptr ? out.ptr : "", 0, NULL);
	order = json_object_get(res, "order");
	CHECK_EQ_INT(json_array_size(order), 22);
	json_array_foreach(order, i, item) {
		int w = (int)json_integer_value(json_object_get(item, "weighting"));

		if (w > last)
			ok = 0;
		last = w;
	}
	CHECK(ok); /* precursors (3) first, weight 1 last */
	CHECK_CONTAINS(out.ptr, "{\"area\":1,\"baseline\":\"1.1\",\"status\":\"not_met\",\"step\":1,"
	                        "\"waits_on\":[],\"weighting\":3}");
	json_decref(res);
	json_decref(in);
	in = readiness_input(2, "2.4", "not_met", NULL);
	CHECK_EQ_INT(eval_json(&out, "sequence", in), 0);
	/* 2.5 (weight 2) waits on the area's outstanding precursor 2.4. */
	CHECK_CONTAINS(out.ptr, "\"baseline\":\"2.5\",\"status\":\"met\",\"step\":");
	CHECK_CONTAINS(out.ptr, "\"waits_on\":[\"2.4\"],\"weighting\":2}");
	json_decref(in);
	wk_buf_free(&out);
}

static void test_applicability(void)
{
	static const char *cats[] = { "A", "B", "C", "D", "female-closed", "yoi-open" };
	static const int applies[] = { 1, 1, 1, 0, 0, 0 };
	wk_buf out = WK_BUF_INIT;
	size_t i;

	for (i = 0; i < 6; i++) {
		json_t *in = json_pack("{s:{s:s,s:s},s:[O]}", "establishment", "code", "HMP-Z",
		                       "category", cats[i], "edms", edm);

		CHECK_EQ_INT(eval_json(&out, "applicability", in), 0);
		CHECK_CONTAINS(out.ptr, applies[i] ? "\"applies\":true" : "\"applies\":false");
		CHECK_CONTAINS(out.ptr, "\"code\":\"OMU\"");
		json_decref(in);
	}
	CHECK_CONTAINS(out.ptr, "\"reason\":\"it is for closed conditions and the establishment is open\"");
	wk_buf_free(&out);
}

int main(void)
{
	wk_buf src = WK_BUF_INIT, json = WK_BUF_INIT;

	if (wk_buf_read_file(&rules_src, test_src("policies/national/rules.lua"), 1 << 20, "rules") < 0 ||
	    wk_buf_read_file(&src, test_src("policies/national/edm/omu.lua"), 1 << 20, "edm") < 0 ||
	    wk_policy_data_json(&json, "national/edm/omu.lua", src.ptr, src.len, NULL) < 0) {
		fprintf(stderr, "%s\n", wk_error_msg());
		return 1;
	}
	edm = json_loads(json.ptr, 0, NULL);
	test_validate_rules();
	test_privacy();
	test_sample_plan();
	test_readiness();
	test_sequence();
	test_applicability();
	json_decref(edm);
	wk_buf_free(&src);
	wk_buf_free(&json);
	wk_buf_free(&rules_src);
	return test_summary();
}
