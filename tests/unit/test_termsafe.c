/* Hostile text reaches the editor's terminal defanged, readable text intact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/termsafe.h>

#include "check.h"

static char *render(const char *in, size_t len, int multiline)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    mlv_termsafe_write(f, in, len, multiline);
    fclose(f);
    return buf;
}

static void expect(const char *in, int multiline, const char *want)
{
    char *got = render(in, strlen(in), multiline);

    if (strcmp(got, want) != 0)
        fprintf(stderr, "rendered %s, wanted %s\n", got, want);
    CHECK(strcmp(got, want) == 0);
    free(got);
}

int main(void)
{
    expect("Меня били в ИК-2", 0, "Меня били в ИК-2");
    expect("a\x1b[2Jb", 0, "a\\x1b[2Jb");
    expect("title\x1b]0;pwned\x07", 0, "title\\x1b]0;pwned\\x07");
    expect("line\nnext\ttab", 1, "line\nnext\ttab");
    expect("line\nnext", 0, "line\\x0anext");
    expect("\xc2\x9b" "31m", 0, "\\x9b31m");            /* C1 CSI */
    expect("abc\xe2\x80\xae" "fdp.exe", 0, "abc\\u{202e}fdp.exe"); /* RLO */
    expect("\xff\xfe", 0, "\\xff\\xfe");
    expect("\xc0\xaf", 0, "\\xc0\\xaf");                /* overlong */
    expect("del\x7f", 0, "del\\x7f");
    {
        char *got = render("a\0b", 3, 0);

        CHECK(strcmp(got, "a\\x00b") == 0);
        free(got);
    }
    return check_exit();
}
