/*
 * The metadata record (docs/FORMAT.md §2.2): strict JSON through jansson.
 *
 * Decoding is where a hostile envelope first reaches structured code on
 * the editor's machine, so it accepts exactly the documented shape: known
 * keys only, the right types, bounded sizes, safe file names. Strings it
 * hands out are plaintext of a testimony and are wiped when cleared.
 * (jansson's own transient copies are freed without wiping: a known limit,
 * acceptable on the air-gapped machine where this runs; see SECURITY.md.)
 */
#include <malyava/payload.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#define HEX_DIGEST_CHARS (MLV_FILE_DIGEST_BYTES * 2u)

static const char *const file_meta_words[] = { "none", "stripped", "kept" };

static void wipe_string(char *s)
{
    if (s != NULL) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

void mlv_meta_clear(mlv_metadata *m)
{
    if (m == NULL)
        return;
    wipe_string(m->message);
    for (size_t i = 0; i < m->nfields && m->fields != NULL; i++) {
        wipe_string(m->fields[i].name);
        wipe_string(m->fields[i].value);
    }
    free(m->fields);
    for (size_t i = 0; i < m->nfiles && m->files != NULL; i++) {
        wipe_string(m->files[i].name);
        wipe_string(m->files[i].media_type);
    }
    free(m->files);
    sodium_memzero(m, sizeof *m);
}

/*
 * Valid UTF-8 without overlongs or surrogates: exactly the Unicode scalar
 * values, what jansson accepts when it parses a record. With `no_c1`, C1
 * controls (U+0080..U+009F) are refused too, as file names require.
 */
static int utf8_ok(const unsigned char *p, size_t len, int no_c1)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t need;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1fu;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0fu;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07u;
            min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xc0u) != 0x80u)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        /* C1 controls are as dangerous on a terminal as C0 ones. */
        if (no_c1 && cp >= 0x80 && cp <= 0x9f)
            return 0;
        i += need + 1;
    }
    return 1;
}

int mlv_meta_name_ok(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > MLV_MAX_NAME_BYTES)
        return -1;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return -1;
    }
    return utf8_ok((const unsigned char *)name, len, 1) ? 0 : -1;
}

/*
 * Text (the message, field values) may hold any Unicode scalar value but
 * NUL: a testimony is what the source wrote, C1 controls from mis-decoded
 * Windows text included. Making it safe to show is the display's job
 * (termsafe.c), never a reason to refuse what was sealed.
 */
int mlv_meta_text_ok(const char *text, size_t len)
{
    if (text == NULL || memchr(text, '\0', len) != NULL)
        return -1;
    return utf8_ok((const unsigned char *)text, len, 0) ? 0 : -1;
}

static int field_name_ok(const char *name, size_t len)
{
    return len >= 1 && len <= MLV_MAX_FIELD_NAME_BYTES &&
           strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* Media types are ASCII tokens: type "/" subtype, no spaces or controls. */
static int media_type_ok(const char *t, size_t len)
{
    const char *slash = memchr(t, '/', len);

    if (len == 0 || len > MLV_MAX_MEDIA_TYPE_BYTES || slash == NULL || slash == t || slash == t + len - 1)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static int hex32_decode(uint8_t out[32], const char *hex, size_t len)
{
    size_t bin_len = 0;

    if (len != 64 || strspn(hex, "0123456789abcdef") != 64)
        return -1;
    return sodium_hex2bin(out, 32, hex, len, NULL, &bin_len, NULL) == 0 && bin_len == 32 ? 0 : -1;
}

static char *dup_string(const json_t *s)
{
    size_t len = json_string_length(s);
    char *out = malloc(len + 1);

    if (out != NULL) {
        memcpy(out, json_string_value(s), len);
        out[len] = '\0';
    }
    return out;
}

static mlv_env_status decode_fields(const json_t *obj, mlv_metadata *out)
{
    const char *key;
    json_t *value;
    size_t n = 0;

    if (!json_is_object(obj))
        return MLV_ENV_ERR_MALFORMED;
    if (json_object_size(obj) > MLV_MAX_FIELDS)
        return MLV_ENV_ERR_LIMIT;
    out->fields = calloc(json_object_size(obj) + 1, sizeof *out->fields);
    if (out->fields == NULL)
        return MLV_ENV_ERR_SYSTEM;
    json_object_foreach((json_t *)obj, key, value) {
        if (!field_name_ok(key, strlen(key)) || !json_is_string(value))
            return MLV_ENV_ERR_MALFORMED;
        if (json_string_length(value) > MLV_MAX_FIELD_VALUE_BYTES)
            return MLV_ENV_ERR_LIMIT;
        out->fields[n].name = strdup(key);
        out->fields[n].value = dup_string(value);
        out->nfields = ++n;
        if (out->fields[n - 1].name == NULL || out->fields[n - 1].value == NULL)
            return MLV_ENV_ERR_SYSTEM;
    }
    return MLV_ENV_OK;
}

static mlv_env_status decode_file(const json_t *obj, mlv_file_info *f, uint64_t *total)
{
    const char *key;
    json_t *value;
    int have_name = 0, have_length = 0, have_digest = 0;

    if (!json_is_object(obj))
        return MLV_ENV_ERR_MALFORMED;
    f->meta = MLV_FILE_META_NONE;
    json_object_foreach((json_t *)obj, key, value) {
        if (strcmp(key, "name") == 0 && json_is_string(value)) {
            if (mlv_meta_name_ok(json_string_value(value), json_string_length(value)) != 0)
                return MLV_ENV_ERR_MALFORMED;
            if ((f->name = dup_string(value)) == NULL)
                return MLV_ENV_ERR_SYSTEM;
            have_name = 1;
        } else if (strcmp(key, "type") == 0 && json_is_string(value)) {
            if (!media_type_ok(json_string_value(value), json_string_length(value)))
                return MLV_ENV_ERR_MALFORMED;
            if ((f->media_type = dup_string(value)) == NULL)
                return MLV_ENV_ERR_SYSTEM;
        } else if (strcmp(key, "length") == 0 && json_is_integer(value)) {
            json_int_t v = json_integer_value(value);

            if (v < 0)
                return MLV_ENV_ERR_MALFORMED;
            if ((uint64_t)v > MLV_MAX_PAYLOAD_BYTES || *total > MLV_MAX_PAYLOAD_BYTES - (uint64_t)v)
                return MLV_ENV_ERR_LIMIT;
            f->length = (uint64_t)v;
            *total += f->length;
            have_length = 1;
        } else if (strcmp(key, "blake2b") == 0 && json_is_string(value)) {
            if (hex32_decode(f->digest, json_string_value(value), json_string_length(value)) != 0)
                return MLV_ENV_ERR_MALFORMED;
            have_digest = 1;
        } else if (strcmp(key, "metadata") == 0 && json_is_string(value)) {
            size_t w = 0;

            while (w < 3 && strcmp(json_string_value(value), file_meta_words[w]) != 0)
                w++;
            if (w == 3)
                return MLV_ENV_ERR_MALFORMED;
            f->meta = (mlv_file_meta)w;
        } else {
            return MLV_ENV_ERR_MALFORMED;
        }
    }
    return have_name && have_length && have_digest ? MLV_ENV_OK : MLV_ENV_ERR_MALFORMED;
}

static mlv_env_status decode_record(const json_t *root, mlv_metadata *out)
{
    const char *key;
    json_t *value;
    mlv_env_status st;
    uint64_t total = 0;
    int have_version = 0;

    if (!json_is_object(root))
        return MLV_ENV_ERR_MALFORMED;
    json_object_foreach((json_t *)root, key, value) {
        if (strcmp(key, "v") == 0) {
            if (!json_is_integer(value))
                return MLV_ENV_ERR_MALFORMED;
            if (json_integer_value(value) != MLV_META_VERSION)
                return MLV_ENV_ERR_VERSION;
            have_version = 1;
        } else if (strcmp(key, "message") == 0 && json_is_string(value)) {
            if ((out->message = dup_string(value)) == NULL)
                return MLV_ENV_ERR_SYSTEM;
        } else if (strcmp(key, "fields") == 0) {
            if ((st = decode_fields(value, out)) != MLV_ENV_OK)
                return st;
        } else if (strcmp(key, "files") == 0 && json_is_array(value)) {
            size_t n = json_array_size(value);

            if (n > MLV_MAX_FILES)
                return MLV_ENV_ERR_LIMIT;
            out->files = calloc(n + 1, sizeof *out->files);
            if (out->files == NULL)
                return MLV_ENV_ERR_SYSTEM;
            for (size_t i = 0; i < n; i++) {
                out->nfiles = i + 1;
                if ((st = decode_file(json_array_get(value, i), &out->files[i], &total)) != MLV_ENV_OK)
                    return st;
            }
        } else if (strcmp(key, "reply_key") == 0 && json_is_string(value)) {
            if (hex32_decode(out->reply_key, json_string_value(value), json_string_length(value)) != 0)
                return MLV_ENV_ERR_MALFORMED;
            out->has_reply_key = 1;
        } else {
            return MLV_ENV_ERR_MALFORMED;
        }
    }
    return have_version ? MLV_ENV_OK : MLV_ENV_ERR_MALFORMED;
}

mlv_env_status mlv_meta_decode(const char *json, size_t len, mlv_metadata *out)
{
    json_error_t error;
    json_t *root;
    mlv_env_status st;

    memset(out, 0, sizeof *out);
    if (json == NULL || len == 0)
        return MLV_ENV_ERR_MALFORMED;
    if (len > MLV_MAX_METADATA_BYTES)
        return MLV_ENV_ERR_LIMIT;
    /* Duplicate keys would let two readers see two different records;
     * "\u0000" (refused by default) would cut names short in C. */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL)
        return MLV_ENV_ERR_MALFORMED;
    st = decode_record(root, out);
    json_decref(root);
    if (st != MLV_ENV_OK)
        mlv_meta_clear(out);
    return st;
}

mlv_env_status mlv_meta_copy(const mlv_metadata *m, mlv_metadata *out)
{
    char *json = NULL;
    size_t len = 0;
    mlv_env_status st;

    memset(out, 0, sizeof *out);
    /* Through the canonical encoding: whatever decoded encodes (one set of
     * rules), so a copy fails only for want of memory. */
    st = mlv_meta_encode(m, &json, &len);
    if (st == MLV_ENV_OK)
        st = mlv_meta_decode(json, len, out);
    wipe_string(json);
    return st;
}

static int set_new(json_t *obj, const char *key, json_t *value)
{
    return value == NULL ? -1 : json_object_set_new(obj, key, value);
}

/* Defaults are left out, so a record that decoded within the size limit
 * always re-encodes within it. */
static json_t *encode_file(const mlv_file_info *f)
{
    char hex[HEX_DIGEST_CHARS + 1];
    json_t *obj = json_object();

    if (obj == NULL)
        return NULL;
    sodium_bin2hex(hex, sizeof hex, f->digest, sizeof f->digest);
    if (set_new(obj, "name", json_string(f->name)) != 0 ||
        (f->media_type != NULL && set_new(obj, "type", json_string(f->media_type)) != 0) ||
        set_new(obj, "length", json_integer((json_int_t)f->length)) != 0 ||
        set_new(obj, "blake2b", json_string(hex)) != 0 ||
        (f->meta != MLV_FILE_META_NONE && set_new(obj, "metadata", json_string(file_meta_words[f->meta])) != 0)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The rules decoding enforces, checked before anything is sealed. */
static mlv_env_status check_record(const mlv_metadata *m)
{
    uint64_t total = 0;

    if (m->nfields > MLV_MAX_FIELDS || m->nfiles > MLV_MAX_FILES)
        return MLV_ENV_ERR_LIMIT;
    for (size_t i = 0; i < m->nfields; i++) {
        const mlv_field *f = &m->fields[i];

        if (f->name == NULL || f->value == NULL || !field_name_ok(f->name, strlen(f->name)) ||
            mlv_meta_text_ok(f->value, strlen(f->value)) != 0)
            return MLV_ENV_ERR_MALFORMED;
        if (strlen(f->value) > MLV_MAX_FIELD_VALUE_BYTES)
            return MLV_ENV_ERR_LIMIT;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->fields[j].name, f->name) == 0)
                return MLV_ENV_ERR_MALFORMED;
        }
    }
    for (size_t i = 0; i < m->nfiles; i++) {
        const mlv_file_info *f = &m->files[i];

        if (f->name == NULL || mlv_meta_name_ok(f->name, strlen(f->name)) != 0 ||
            (f->media_type != NULL && !media_type_ok(f->media_type, strlen(f->media_type))) ||
            (unsigned)f->meta > MLV_FILE_META_KEPT)
            return MLV_ENV_ERR_MALFORMED;
        if (f->length > MLV_MAX_PAYLOAD_BYTES || total > MLV_MAX_PAYLOAD_BYTES - f->length)
            return MLV_ENV_ERR_LIMIT;
        total += f->length;
    }
    if (m->message != NULL && mlv_meta_text_ok(m->message, strlen(m->message)) != 0)
        return MLV_ENV_ERR_MALFORMED;
    return MLV_ENV_OK;
}

mlv_env_status mlv_meta_encode(const mlv_metadata *m, char **out, size_t *out_len)
{
    json_t *root = NULL, *fields = NULL, *files = NULL;
    char hex[HEX_DIGEST_CHARS + 1];
    mlv_env_status st;
    char *text = NULL;

    *out = NULL;
    *out_len = 0;
    if ((st = check_record(m)) != MLV_ENV_OK)
        return st;
    st = MLV_ENV_ERR_SYSTEM;
    root = json_object();
    if (root == NULL || set_new(root, "v", json_integer(MLV_META_VERSION)) != 0)
        goto out;
    if (m->message != NULL && set_new(root, "message", json_string(m->message)) != 0)
        goto out;
    if (m->nfields > 0) {
        fields = json_object();
        for (size_t i = 0; fields != NULL && i < m->nfields; i++) {
            if (set_new(fields, m->fields[i].name, json_string(m->fields[i].value)) != 0)
                goto out;
        }
        if (set_new(root, "fields", fields) != 0)
            goto out;
        fields = NULL;
    }
    if (m->nfiles > 0) {
        files = json_array();
        for (size_t i = 0; files != NULL && i < m->nfiles; i++) {
            if (json_array_append_new(files, encode_file(&m->files[i])) != 0)
                goto out;
        }
        if (set_new(root, "files", files) != 0)
            goto out;
        files = NULL;
    }
    if (m->has_reply_key) {
        sodium_bin2hex(hex, sizeof hex, m->reply_key, sizeof m->reply_key);
        if (set_new(root, "reply_key", json_string(hex)) != 0)
            goto out;
    }
    /* Compact with sorted keys: one record, one encoding. */
    text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        goto out;
    if (strlen(text) > MLV_MAX_METADATA_BYTES) {
        st = MLV_ENV_ERR_LIMIT;
        goto out;
    }
    *out = text;
    *out_len = strlen(text);
    text = NULL;
    st = MLV_ENV_OK;
out:
    wipe_string(text);
    json_decref(fields);
    json_decref(files);
    json_decref(root);
    return st;
}
