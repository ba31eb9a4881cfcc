/*
 * test_sites.c - the example establishments (their own rules_test.lua files,
 * run through wk_policy_test) and the autonomy the host enforces: a site
 * script that tries to weaken a national rule fails with an error naming the
 * script, the line and the baseline or rule.
 */
#include "test.h"
#include "policy.h"
#include "error.h"

static wk_buf national = WK_BUF_INIT, edm_json = WK_BUF_INIT, fixtures = WK_BUF_INIT;
static char *input_edm; /* {"edm": <omu>, "stage": 2, "assessments": []} */

static int read_into(wk_buf *b, const char *rel)
{
	if (wk_buf_read_file(b, test_src(rel), 1 << 20, "file") < 0) {
		fprintf(stderr, "%s\n", wk_error_msg());
		return -1;
	}
	return 0;
}

static void run_site_tests(const char *site)
{
	char rel[128], name[128], tname[128];
	wk_buf rules = WK_BUF_INIT, tests = WK_BUF_INIT, out = WK_BUF_INIT;
	wk_policy_script s[2], t;
	int rc;

	snprintf(rel, sizeof(rel), "policies/sites/%s/rules.lua", site);
	snprintf(name, sizeof(name), "sites/%s/rules.lua", site);
	CHECK_EQ_INT(read_into(&rules, rel), 0);
	snprintf(rel, sizeof(rel), "policies/sites/%s/rules_test.lua", site);
	snprintf(tname, sizeof(tname), "sites/%s/rules_test.lua", site);
	CHECK_EQ_INT(read_into(&tests, rel), 0);
	s[0].name = "national/rules.lua";
	s[0].src = national.ptr;
	s[0].len = national.len;
	s[1].name = name;
	s[1].src = rules.ptr;
	s[1].len = rules.len;
	t.name = tname;
	t.src = tests.ptr;
	t.len = tests.len;
	rc = wk_policy_test(&out, s, 2, &t, fixtures.ptr, "2023-01-15", NULL);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n%s\n", site, wk_error_msg(), out.ptr ? out.ptr : "");
	CHECK_EQ_INT(rc, 0);
	CHECK_CONTAINS(out.ptr, "\"failed\":0,\"ok\":true,\"passed\":6");
	printf("%s: %s\n", site, out.ptr ? out.ptr : "");
	wk_buf_free(&rules);
	wk_buf_free(&tests);
	wk_buf_free(&out);
}

/* A test file whose expectation is wrong fails, and the report says why. */
static void test_failing_case(void)
{
	static const char tests[] =
		"return {\n"
		"  { name = 'wrong on purpose', entry = 'validate', input = { recommendations = {\n"
		"      { number = '1', response = 'agreed', actions = {} } } },\n"
		"    expect = { ok = true } },\n"
		"  { name = 'expects an error', entry = 'validate', input = {}, error = 'no such thing' },\n"
		"}\n";
	wk_policy_script s = { "national/rules.lua", national.ptr, national.len };
	wk_policy_script t = { "sites/HMP-X/rules_test.lua", tests, sizeof(tests) - 1 };
	wk_buf out = WK_BUF_INIT;

	CHECK_EQ_INT(wk_policy_test(&out, &s, 1, &t, NULL, "2023-01-15", NULL), WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "policy test 'sites/HMP-X/rules_test.lua': 2 of 2 cases failed");
	CHECK_CONTAINS(out.ptr, "\"message\":\"ok: expected true, got false\",\"name\":\"wrong on purpose\"");
	CHECK_CONTAINS(out.ptr, "expected the error \\\"no such thing\\\" but the validate succeeded");
	wk_buf_free(&out);
}

/* Evaluate readiness with the national rules and one site script. */
static int with_site(wk_buf *out, const char *site_src, const char *input)
{
	wk_policy_script s[2] = {
		{ "national/rules.lua", national.ptr, national.len },
		{ "sites/HMP-X/rules.lua", site_src, strlen(site_src) },
	};

	wk_error_clear();
	wk_buf_clear(out);
	return wk_policy_eval(out, s, 2, "readiness", input ? input : input_edm, "2023-01-15", NULL);
}

static void refused(const char *site_src, const char *msg)
{
	wk_buf out = WK_BUF_INIT;
	int rc = with_site(&out, site_src, NULL);

	if (rc != WK_EPOLICY || !strstr(wk_error_msg(), msg))
		fprintf(stderr, "  rc=%d %s\n", rc, wk_error_msg());
	CHECK_EQ_INT(rc, WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), msg);
	wk_buf_free(&out);
}

static void test_autonomy(void)
{
	refused("-- 1.1 has limited autonomy\n"
	        "wicket.not_applicable('1.1', 'we would rather not')\n",
	        "policy 'sites/HMP-X/rules.lua' line 2: baseline 1.1 has limited autonomy; "
	        "a site script cannot mark it not applicable");
	refused("\n\nwicket.baseline{ id = '2.1', text = 'our own version', weighting = 1, mandatory = false }\n",
	        "policy 'sites/HMP-X/rules.lua' line 3: baseline 2.1 has limited autonomy; "
	        "a site script cannot redefine it");
	refused("wicket.baseline{ id = '2.5', text = 'our own supervision', weighting = 2 }\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: baseline 2.5 has partial autonomy; "
	        "a site script cannot redefine it");
	refused("wicket.delivery_option('2.5', 'carrier-pigeon')\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: baseline 2.5: 'carrier-pigeon' is not one of its "
	        "predefined delivery options (face-to-face, alternative-technology, duty-pom)");
	refused("wicket.delivery_option('1.3', 'remote')\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: baseline 1.3 has limited autonomy; delivery options "
	        "are chosen only for partial-autonomy baselines");
	refused("local x = 1\n"
	        "wicket.rule{ id = 'national.mandatory-weight3-met', entry = 'readiness',\n"
	        "             check = function() return nil end }\n",
	        "policy 'sites/HMP-X/rules.lua' line 2: rule 'national.mandatory-weight3-met' is a national "
	        "rule; a site script cannot replace, remove or relax it");
	/* Swallowing the error with pcall does not help: the violation is sticky. */
	refused("pcall(wicket.rule, { id = 'national.partly-needs-reason', entry = 'validate',\n"
	        "                     check = function() end })\n",
	        "rule 'national.partly-needs-reason' is a national rule");
	refused("pcall(wicket.not_applicable, '3.1', 'hidden')\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: baseline 3.1 has limited autonomy");
	refused("wicket.on('readiness', function()\n"
	        "  return { { baseline = '1.1', rule = 'national.mandatory-weight3-met', severity = 'amber',\n"
	        "             message = 'downgraded' } }\n"
	        "end)\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: readiness hook: a site script cannot raise findings "
	        "in the name of national rule 'national.mandatory-weight3-met'");
	refused("wicket.compute('sequence', function() return { order = {} } end)\n",
	        "policy 'sites/HMP-X/rules.lua' line 1: 'sequence' is computed by the national rules");
}

/* Total autonomy: the site may redesign, but not lower weighting or mandatory. */
static void test_total_autonomy(void)
{
	static const char input[] =
		"{\"stage\":2,\"edm\":{\"code\":\"TST\",\"version\":1,\"towards_stage\":2,\"areas\":[{\"number\":9,"
		"\"title\":\"t\",\"baselines\":[{\"id\":\"9.1\",\"text\":\"national text\",\"weighting\":2,"
		"\"autonomy\":\"total\",\"mandatory\":true}]}]},"
		"\"assessments\":[{\"baseline\":\"9.1\",\"status\":\"not_met\"}]}";
	wk_buf out = WK_BUF_INIT;

	CHECK_EQ_INT(with_site(&out, "wicket.baseline{ id = '9.1', text = 'our design', weighting = 3 }\n",
	                       input), 0);
	CHECK_CONTAINS(out.ptr, "\"redesigned\":[{\"baseline\":\"9.1\",\"line\":1,\"source\":\"sites/HMP-X/rules.lua\"}]");
	/* Raised to weight 3, so the national precursor rule now applies to it. */
	CHECK_CONTAINS(out.ptr, "\"rule\":\"national.mandatory-weight3-met\"");
	CHECK_EQ_INT(with_site(&out, "wicket.baseline{ id = '9.1', text = 'ours', weighting = 1 }\n", input),
	             WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "policy 'sites/HMP-X/rules.lua' line 1: baseline 9.1: a redesign cannot "
	                               "lower its weighting of 2");
	CHECK_EQ_INT(with_site(&out, "wicket.baseline{ id = '9.1', text = 'ours', mandatory = false }\n", input),
	             WK_EPOLICY);
	CHECK_CONTAINS(wk_error_msg(), "baseline 9.1 is mandatory; a redesign cannot make it desirable");
	CHECK_EQ_INT(with_site(&out, "wicket.not_applicable('9.1', 'done by the region')\n", input), 0);
	CHECK_CONTAINS(out.ptr, "\"result\":\"green\"");
	wk_buf_free(&out);
}

/* Scripts in the wrong order, and describe (what `policy check` shows). */
static void test_order_and_describe(void)
{
	wk_buf out = WK_BUF_INIT, site = WK_BUF_INIT;
	wk_policy_script s[2] = {
		{ "sites/HMP-A/rules.lua", NULL, 0 },
		{ "national/rules.lua", national.ptr, national.len },
	};

	CHECK_EQ_INT(read_into(&site, "policies/sites/HMP-A/rules.lua"), 0);
	s[0].src = site.ptr;
	s[0].len = site.len;
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "describe", input_edm, "2023-01-15", NULL), WK_EUSAGE);
	CHECK_CONTAINS(wk_error_msg(), "load national scripts first");
	s[1] = s[0];
	s[0].name = "national/rules.lua";
	s[0].src = national.ptr;
	s[0].len = national.len;
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "describe", input_edm, "2023-01-15", NULL), 0);
	CHECK_CONTAINS(out.ptr, "\"id\":\"local.target-within-18-months\"");
	CHECK_CONTAINS(out.ptr, "\"local_baselines\":[{\"id\":\"A-L1\"");
	CHECK_CONTAINS(out.ptr, "{\"entry\":\"sequence\",\"line\":");
	CHECK_CONTAINS(out.ptr, "\"name\":\"sites/HMP-A/rules.lua\",\"sha256\":\"");
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "nonsense", input_edm, "2023-01-15", NULL), WK_EINVALID);
	CHECK_CONTAINS(wk_error_msg(), "unknown policy entry 'nonsense'");
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "describe", input_edm, "15/01/2023", NULL), WK_EUSAGE);
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "describe", "[1]", "2023-01-15", NULL), WK_EINVALID);
	CHECK_EQ_INT(wk_policy_eval(&out, s, 2, "describe", "{\"a\":1,\"a\":2}", "2023-01-15", NULL), WK_EINVALID);
	wk_buf_free(&out);
	wk_buf_free(&site);
}

int main(void)
{
	wk_buf src = WK_BUF_INIT, in = WK_BUF_INIT;

	if (read_into(&national, "policies/national/rules.lua") < 0 ||
	    read_into(&src, "policies/national/edm/omu.lua") < 0 ||
	    wk_policy_data_json(&edm_json, "national/edm/omu.lua", src.ptr, src.len, NULL) < 0) {
		fprintf(stderr, "%s\n", wk_error_msg());
		return 1;
	}
	wk_buf_printf(&fixtures, "{\"edm\":%s}", edm_json.ptr);
	wk_buf_printf(&in, "{\"stage\":2,\"assessments\":[],\"edm\":%s}", edm_json.ptr);
	input_edm = in.ptr;
	run_site_tests("HMP-A");
	run_site_tests("HMP-B");
	test_failing_case();
	test_autonomy();
	test_total_autonomy();
	test_order_and_describe();
	wk_buf_free(&src);
	wk_buf_free(&in);
	wk_buf_free(&national);
	wk_buf_free(&edm_json);
	wk_buf_free(&fixtures);
	return test_summary();
}
