/*
 * The plain form's share (dropbox/nojs_gate.c) with its clock in the
 * test's hand: slots are refused only while every holder keeps up or is
 * in its grace; past the grace the holder furthest behind the rate gives
 * its slot to a new form, its memory freed, and its request finds its
 * ticket void; a form that keeps up, or is whole and being sealed, keeps
 * its slot however slow the others; a form found behind when its bytes
 * arrive is cut off; bytes past the body are refused; the disk share
 * counts what is stored and what is being stored.
 */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "nojs_gate.h"

#define RATE 512u
#define GRACE_MS 30000u
#define LEN 100000u

static uint64_t stored_now;

static int stored(void *ctx, uint64_t *out)
{
    (void)ctx;
    *out = stored_now;
    return 0;
}

static int failing(void *ctx, uint64_t *out)
{
    (void)ctx;
    (void)out;
    return -1;
}

static void slots(void)
{
    mlv_nojs_gate *g = mlv_nojs_gate_new(2, RATE, GRACE_MS);
    mlv_nojs_ticket a, b, c, d;
    uint8_t chunk[4096];

    memset(chunk, 'x', sizeof chunk);
    CHECK(g != NULL);
    CHECK(mlv_nojs_gate_enter(g, LEN, 0, &a) == MLV_NOJS_GATE_OK);
    CHECK(mlv_nojs_gate_enter(g, LEN, 1000, &b) == MLV_NOJS_GATE_OK);
    /* Both in their grace: nobody is behind, the third form waits. */
    CHECK(mlv_nojs_gate_enter(g, LEN, 20000, &c) == MLV_NOJS_GATE_BUSY);
    /* a keeps up: 60 s after its grace it has sent more than 512 * 60. */
    for (unsigned i = 0; i < 8; i++)
        CHECK(mlv_nojs_gate_feed(g, &a, chunk, sizeof chunk, 31000 + 1000u * i) == MLV_NOJS_GATE_OK);
    CHECK(mlv_nojs_gate_feed(g, &b, chunk, 10, 31000) == MLV_NOJS_GATE_OK); /* b trickles */
    CHECK(mlv_nojs_gate_enter(g, LEN, 31000, &c) == MLV_NOJS_GATE_BUSY);  /* b only 0 s behind its grace */
    /* At 90 s b owes 512 * 59 bytes and has sent 10: its slot goes. */
    CHECK(mlv_nojs_gate_enter(g, LEN, 90000, &c) == MLV_NOJS_GATE_OK);
    CHECK(c.slot == b.slot && c.gen != b.gen);
    CHECK(mlv_nojs_gate_feed(g, &b, chunk, 10, 90001) == MLV_NOJS_GATE_GONE);
    CHECK(mlv_nojs_gate_body(g, &b) == NULL);
    mlv_nojs_gate_leave(g, &b); /* the old request ends: the new holder keeps its slot */
    CHECK(mlv_nojs_gate_feed(g, &c, chunk, 10, 90002) == MLV_NOJS_GATE_OK);
    /* At 200 s a owes 85 KiB and has sent 32 KiB, c owes 40 KiB and has
     * sent 10 bytes: the one furthest behind, a, gives its slot. */
    CHECK(mlv_nojs_gate_enter(g, 100, 200000, &d) == MLV_NOJS_GATE_OK);
    CHECK(d.slot == a.slot);
    CHECK(mlv_nojs_gate_feed(g, &d, chunk, 100, 200001) == MLV_NOJS_GATE_OK);
    CHECK(mlv_nojs_gate_body(g, &d) != NULL && memcmp(mlv_nojs_gate_body(g, &d), chunk, 100) == 0);
    /* Hours later: d is whole (being sealed), so only c can give way. */
    CHECK(mlv_nojs_gate_enter(g, LEN, 10000000, &b) == MLV_NOJS_GATE_OK);
    CHECK(b.slot == c.slot);
    CHECK(mlv_nojs_gate_enter(g, LEN, 10000000, &a) == MLV_NOJS_GATE_BUSY); /* and b is in its grace */
    /* More bytes than the body lacks are refused. */
    CHECK(mlv_nojs_gate_feed(g, &d, chunk, 1, 10000001) == MLV_NOJS_GATE_GONE);
    mlv_nojs_gate_leave(g, &d);
    mlv_nojs_gate_leave(g, &b);
    CHECK(mlv_nojs_gate_enter(g, LEN, 10000002, &a) == MLV_NOJS_GATE_OK);
    /* Found behind when its bytes arrive: cut off, and its slot free. */
    CHECK(mlv_nojs_gate_feed(g, &a, chunk, 1, 10000002 + GRACE_MS + 10000) == MLV_NOJS_GATE_GONE);
    CHECK(mlv_nojs_gate_body(g, &a) == NULL);
    CHECK(mlv_nojs_gate_enter(g, LEN, 20000000, &a) == MLV_NOJS_GATE_OK);
    CHECK(mlv_nojs_gate_enter(g, LEN, 20000000, &b) == MLV_NOJS_GATE_OK);
    mlv_nojs_gate_free(g); /* frees what is still held */
}

static void disk(void)
{
    mlv_nojs_gate *g = mlv_nojs_gate_new(1, RATE, GRACE_MS);
    int full = -1;

    stored_now = 600;
    CHECK(mlv_nojs_gate_reserve_disk(g, 300, 1000, stored, NULL, &full) == 0 && full == 0);
    CHECK(mlv_nojs_gate_reserve_disk(g, 101, 1000, stored, NULL, &full) == -1 && full == 1);
    CHECK(mlv_nojs_gate_reserve_disk(g, 100, 1000, stored, NULL, &full) == 0);
    mlv_nojs_gate_release_disk(g, 100);
    /* The 300 are stored now: counted by `stored`, released here. */
    stored_now = 900;
    mlv_nojs_gate_release_disk(g, 300);
    CHECK(mlv_nojs_gate_reserve_disk(g, 100, 1000, stored, NULL, &full) == 0);
    CHECK(mlv_nojs_gate_reserve_disk(g, 1, 1000, stored, NULL, &full) == -1 && full == 1);
    mlv_nojs_gate_release_disk(g, 100);
    stored_now = 2000; /* over a share lowered since */
    CHECK(mlv_nojs_gate_reserve_disk(g, 1, 1000, stored, NULL, &full) == -1 && full == 1);
    CHECK(mlv_nojs_gate_reserve_disk(g, 1, 0, stored, NULL, &full) == -1 && full == 1);
    CHECK(mlv_nojs_gate_reserve_disk(g, 1, 1000, failing, NULL, &full) == -1 && full == 0);
    mlv_nojs_gate_free(g);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    slots();
    disk();
    return check_exit();
}
