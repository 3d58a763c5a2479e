/*
 * The desk's gate and parsers as a specification: who gets in
 * (client/desk_gate.c), what a cookie header and a JSON body may say
 * (client/desk_req.c), and the socket's datagrams (client/desk_sock.c).
 */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "desk_gate.h"
#include "desk_req.h"
#include "desk_sock.h"

#define HOST "127.0.0.1:8080"
#define ORIGIN "http://127.0.0.1:8080"

static void test_cookie(void)
{
    char v[80];

    CHECK(mlv_desk_cookie_value("a=1; malyava_desk_8080=abc", "malyava_desk_8080", v, sizeof v) == 0 &&
          strcmp(v, "abc") == 0);
    CHECK(mlv_desk_cookie_value("malyava_desk_8080=abc ;b=2", "malyava_desk_8080", v, sizeof v) == 0 &&
          strcmp(v, "abc") == 0);
    CHECK(mlv_desk_cookie_value("xmalyava_desk_8080=1; malyava_desk_80801=2", "malyava_desk_8080", v, sizeof v) == -1);
    CHECK(mlv_desk_cookie_value("malyava_desk_8080=1; malyava_desk_8080=2", "malyava_desk_8080", v, sizeof v) == -1);
    CHECK(mlv_desk_cookie_value("malyava_desk_8080=0123456789", "malyava_desk_8080", v, 8) == -1);
    CHECK(mlv_desk_cookie_value(NULL, "malyava_desk_8080", v, sizeof v) == -1);
    CHECK(mlv_desk_cookie_value(";;; ;", "malyava_desk_8080", v, sizeof v) == -1);
}

static mlv_desk_req req(const char *method, const char *path, const char *cookie)
{
    mlv_desk_req r;

    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.host = HOST;
    r.cookie = cookie;
    r.fetch_site = "same-origin";
    if (strcmp(method, "GET") != 0)
        r.origin = ORIGIN;
    return r;
}

static void test_gate(void)
{
    mlv_desk_gate *g = mlv_desk_gate_new(8080);
    char url[MLV_DESK_ADDRESS_BYTES], set[192], cookie[128], old[128];
    mlv_desk_req r;

    mlv_desk_gate_address(g, url);
    CHECK(strncmp(url, ORIGIN "/open?k=", strlen(ORIGIN "/open?k=")) == 0 && strlen(url) == strlen(ORIGIN) + 8 + 64);
    r = req("GET", "/api/inbox", NULL);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_NO_SESSION);

    /* The one-time address: the right secret once, no other. */
    r = req("GET", "/open", NULL);
    r.fetch_site = "none";
    r.nargs = 1;
    r.args[0].name = "k";
    r.args[0].value = "00";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_NO_SESSION);
    r.args[0].value = strstr(url, "k=") + 2;
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_EXCHANGE);
    r.method = "POST";
    r.origin = ORIGIN;
    CHECK(mlv_desk_gate_check(g, &r) != MLV_DESK_EXCHANGE);
    r.method = "GET";
    r.origin = NULL;
    mlv_desk_gate_exchange(g, set, sizeof set);
    CHECK(strstr(set, "; Path=/; HttpOnly; SameSite=Strict") != NULL && strncmp(set, "malyava_desk_8080=", 18) == 0);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_NO_SESSION);
    snprintf(cookie, sizeof cookie, "%.82s", set);

    /* The session's requests, and what breaks them. */
    r = req("GET", "/api/inbox", cookie);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_PASS);
    r.fetch_site = NULL;
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_PASS);
    r.fetch_site = "same-site";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_ORIGIN);
    r.fetch_site = "cross-site";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_ORIGIN);
    r = req("GET", "/api/inbox", cookie);
    r.host = "localhost:8080";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_HOST);
    r.host = "127.0.0.1:80";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_HOST);
    r.host = NULL;
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_HOST);
    r = req("GET", "/api/inbox", cookie);
    r.repeated = 1;
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_HOST);
    r = req("POST", "/api/triage", cookie);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_PASS);
    r.origin = NULL;
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_ORIGIN);
    r.origin = "http://127.0.0.1:9090";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_ORIGIN);
    r.origin = ORIGIN;
    r.fetch_site = "none";
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_BAD_ORIGIN);
    r = req("GET", "/api/inbox", "malyava_desk_8080=0000000000000000000000000000000000000000000000000000000000000000");
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_NO_SESSION);

    /* A new address, once exchanged, ends the old session. */
    memcpy(old, cookie, sizeof old);
    mlv_desk_gate_address(g, url);
    r = req("GET", "/api/inbox", old);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_PASS);
    mlv_desk_gate_exchange(g, set, sizeof set);
    CHECK(mlv_desk_gate_check(g, &r) == MLV_DESK_NO_SESSION);
    mlv_desk_gate_free(g);
}

static mlv_desk_form_status form(const char *json, unsigned allowed, unsigned required, mlv_desk_form *f)
{
    const char *why;

    return mlv_desk_form_parse((const uint8_t *)json, strlen(json), allowed, required, f, &why);
}

static void test_form(void)
{
    mlv_desk_form f;

    CHECK(form("{\"ids\":[3,1,3],\"action\":\"tag\",\"value\":\"x\"}", MLV_DESK_F_IDS | MLV_DESK_F_ACTION | MLV_DESK_F_VALUE,
               MLV_DESK_F_IDS, &f) == MLV_DESK_FORM_OK);
    CHECK(f.nids == 2 && f.ids[0] == 3 && f.ids[1] == 1 && strcmp(f.action, "tag") == 0);
    mlv_desk_form_clear(&f);
    CHECK(form("{\"ids\":[1],\"path\":\"/x\"}", MLV_DESK_F_IDS, 0, &f) == MLV_DESK_FORM_UNKNOWN);
    CHECK(form("{\"action\":\"tag\"}", MLV_DESK_F_IDS | MLV_DESK_F_ACTION, MLV_DESK_F_IDS, &f) == MLV_DESK_FORM_MISSING);
    CHECK(form("{\"ids\":[0]}", MLV_DESK_F_IDS, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"ids\":[]}", MLV_DESK_F_IDS, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"ids\":[\"1\"]}", MLV_DESK_F_IDS, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"path\":\"relative/x\"}", MLV_DESK_F_PATH, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"path\":\"\"}", MLV_DESK_F_PATH, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"ack\":\"\"}", MLV_DESK_F_ACK, 0, &f) == MLV_DESK_FORM_OK);
    mlv_desk_form_clear(&f);
    CHECK(form("{\"text\":\"a\\u0000b\"}", MLV_DESK_F_TEXT, 0, &f) != MLV_DESK_FORM_OK);
    CHECK(form("{\"text\":\"\"}", MLV_DESK_F_TEXT, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"id\":1,\"id\":2}", MLV_DESK_F_ID, 0, &f) == MLV_DESK_FORM_NOT_JSON);
    CHECK(form("[1]", MLV_DESK_F_ID, 0, &f) == MLV_DESK_FORM_NOT_JSON);
    CHECK(form("{\"strip\":1}", MLV_DESK_F_STRIP, 0, &f) == MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"id\":17,\"path\":\"/media/usb/x\",\"strip\":true}", MLV_DESK_F_ID | MLV_DESK_F_PATH | MLV_DESK_F_STRIP,
               MLV_DESK_F_ID | MLV_DESK_F_PATH, &f) == MLV_DESK_FORM_OK);
    CHECK(f.id == 17 && f.strip == 1 && strcmp(f.path, "/media/usb/x") == 0);
    mlv_desk_form_clear(&f);
    CHECK(form("{\"path\":\"/media/usb/x\",\"accept_dropbox\":true}", MLV_DESK_F_PATH | MLV_DESK_F_ACCEPT,
               MLV_DESK_F_PATH, &f) == MLV_DESK_FORM_OK);
    CHECK(f.accept_dropbox == 1 && f.strip == 0);
    mlv_desk_form_clear(&f);
    CHECK(form("{\"path\":\"/x\",\"accept_dropbox\":\"yes\"}", MLV_DESK_F_PATH | MLV_DESK_F_ACCEPT, 0, &f) ==
          MLV_DESK_FORM_BAD_VALUE);
    CHECK(form("{\"path\":\"/x\",\"accept_dropbox\":true}", MLV_DESK_F_PATH, 0, &f) == MLV_DESK_FORM_UNKNOWN);
}

static void test_wire(void)
{
    char a0[] = "tag", a1[] = "17-40", a2[] = "beatings";
    char *argv[] = { a0, a1, a2, NULL };
    uint8_t buf[512], copy[512];
    const char *text;
    mlv_desk_answer kind;
    mlv_desk_request r;
    size_t len = 0;
    int status;

    CHECK(mlv_desk_wire_request(MLV_DESK_ASK_RUN, 3, argv, "/v", buf, sizeof buf, &len) == 0);
    memcpy(copy, buf, len);
    CHECK(mlv_desk_wire_parse_request(copy, len, &r) == 0 && r.argc == 3 && strcmp(r.argv[2], "beatings") == 0 &&
          r.argv[3] == NULL && strcmp(r.vault_env, "/v") == 0 && r.ask == MLV_DESK_ASK_RUN);
    mlv_desk_request_clear(&r);
    memcpy(copy, buf, len);
    CHECK(mlv_desk_wire_parse_request(copy, len - 1, &r) == -1);
    copy[len] = 'x';
    CHECK(mlv_desk_wire_parse_request(copy, len + 1, &r) == -1);
    memcpy(copy, buf, len);
    copy[4] = 2;
    CHECK(mlv_desk_wire_parse_request(copy, len, &r) == -1);
    memcpy(copy, buf, len);
    copy[6] = copy[7] = 0;
    CHECK(mlv_desk_wire_parse_request(copy, len, &r) == -1);
    CHECK(mlv_desk_wire_request(MLV_DESK_ASK_RUN, 3, argv, NULL, buf, 12, &len) == -1);
    CHECK(mlv_desk_wire_answer(MLV_DESK_DONE, 2, "http://x", buf, sizeof buf, &len) == 0);
    CHECK(mlv_desk_wire_parse_answer(buf, len, &kind, &status, &text) == 0 && kind == MLV_DESK_DONE && status == 2 &&
          strcmp(text, "http://x") == 0);
    CHECK(mlv_desk_wire_parse_answer(buf, len - 1, &kind, &status, &text) == -1);
    buf[5] = 9;
    CHECK(mlv_desk_wire_parse_answer(buf, len, &kind, &status, &text) == -1);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_cookie();
    test_gate();
    test_form();
    test_wire();
    return check_exit();
}
