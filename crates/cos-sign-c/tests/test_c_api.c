/* The C API against every shared vector (signatures.json, post-policy.json) and its error
 * paths: NULL pointers, short buffers, invalid UTF-8, too many headers and params, keys
 * never derived or wiped, unknown kinds, malformed or mismatching Authorizations.
 * Built by scripts/c-test.sh with -fsanitize=address,undefined -Wall -Wextra -Werror.
 * Usage: test_c_api (exit 0 when every check passed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cos_sign.h"

struct vec_pair { const char *name; const char *value; };
struct sig_vector {
  const char *name, *secret_id, *secret_key;
  uint64_t start, end;
  const char *method, *path;
  const struct vec_pair *params; size_t params_len;
  const struct vec_pair *headers; size_t headers_len;
  const char *sign_key, *http_string, *string_to_sign, *header_list, *param_list,
      *signature, *authorization;
};
struct post_vector {
  const char *name, *secret_key;
  uint64_t start, end;
  const char *policy_json, *policy_base64, *sign_key, *string_to_sign, *signature;
};
#include "vectors.h"

static int checks, failures;

static void check(int ok, const char *what, const char *ctx) {
  checks++;
  if (!ok) {
    failures++;
    fprintf(stderr, "FAIL: %s (%s)\n", what, ctx);
  }
}

static void check_status(CosSignStatus got, CosSignStatus want, const char *what,
                         const char *ctx) {
  checks++;
  if (got != want) {
    failures++;
    fprintf(stderr, "FAIL: %s (%s): status %s, want %s\n", what, ctx,
            cos_sign_status_name((uint32_t)got), cos_sign_status_name((uint32_t)want));
  }
}

static CosSignStr S(const char *s) {
  CosSignStr r = {s, strlen(s)};
  return r;
}

/* The text written equals `want` exactly (length and bytes). */
/* `len` is read after the call that wrote it (C leaves the order of arguments open). */
static void check_text(CosSignStatus st, const char *buf, const size_t *len_out,
                       const char *want, const char *what, const char *ctx) {
  size_t len = *len_out;
  check_status(st, COS_SIGN_STATUS_OK, what, ctx);
  checks++;
  if (st == COS_SIGN_STATUS_OK && (len != strlen(want) || memcmp(buf, want, len) != 0)) {
    failures++;
    fprintf(stderr, "FAIL: %s (%s)\n  got:  %.*s\n  want: %s\n", what, ctx, (int)len, buf,
            want);
  }
}

/* Copies a vector's pairs into `out` (room for COS_SIGN_MAX_PAIRS). */
static size_t to_pairs(const struct vec_pair *in, size_t n, CosSignPair *out) {
  for (size_t i = 0; i < n; i++) {
    out[i].name = S(in[i].name);
    out[i].value = S(in[i].value);
  }
  return n;
}

/* Derives the key of `secret_key` and `start;end` into `key` and checks its SignKey. */
static void derive_checked(CosSignSigningKey *key, const char *secret_key, uint64_t start,
                           uint64_t end, const char *sign_key, const char *ctx) {
  memset(key, 0, sizeof *key);
  check_status(cos_sign_signing_key_derive((const uint8_t *)secret_key, strlen(secret_key),
                                           start, end, key),
               COS_SIGN_STATUS_OK, "derive", ctx);
  char hex[41];
  size_t len = 0;
  check_text(cos_sign_signing_key_hex(key, hex, sizeof hex, &len), hex, &len, sign_key,
             "sign key", ctx);
}

static void test_signature_vector(const struct sig_vector *v) {
  const char *ctx = v->name;
  CosSignPair params[COS_SIGN_MAX_PAIRS], headers[COS_SIGN_MAX_PAIRS];
  CosSignRequest req = {S(v->method), S(v->path), params,
                        to_pairs(v->params, v->params_len, params), headers,
                        to_pairs(v->headers, v->headers_len, headers)};
  CosSignSigningKey key;
  derive_checked(&key, v->secret_key, v->start, v->end, v->sign_key, ctx);
  char buf[2048];
  size_t len = 0;

  CosSignSignature sig;
  check_status(cos_sign_sign(&key, &req, &sig), COS_SIGN_STATUS_OK, "sign", ctx);
  check(strcmp(sig.signature, v->signature) == 0, "signature", ctx);

  CosSignStr id = S(v->secret_id);
  check_text(cos_sign_authorization(&key, &req, id, buf, sizeof buf, &len), buf, &len,
             v->authorization, "authorization", ctx);
  check_text(cos_sign_write(&key, &req, id, COS_SIGN_TEXT_HTTP_STRING, buf, sizeof buf, &len),
             buf, &len, v->http_string, "http string", ctx);
  check_text(cos_sign_write(&key, &req, id, COS_SIGN_TEXT_STRING_TO_SIGN, buf, sizeof buf,
                            &len),
             buf, &len, v->string_to_sign, "string to sign", ctx);
  check_text(cos_sign_write(&key, &req, id, COS_SIGN_TEXT_HEADER_LIST, buf, sizeof buf, &len),
             buf, &len, v->header_list, "header list", ctx);
  check_text(cos_sign_write(&key, &req, id, COS_SIGN_TEXT_PARAM_LIST, buf, sizeof buf, &len),
             buf, &len, v->param_list, "param list", ctx);

  /* Short buffers: the size needed is reported and nothing else; the exact size works. */
  size_t want = strlen(v->authorization);
  char *exact = malloc(want); /* heap: ASan catches a write one past the end */
  check(exact != NULL, "malloc", ctx);
  len = 0;
  check_status(cos_sign_authorization(&key, &req, id, NULL, 0, &len),
               COS_SIGN_STATUS_BUFFER_TOO_SMALL, "size query (NULL, 0)", ctx);
  check(len == want, "size query reports the length", ctx);
  len = 0;
  check_status(cos_sign_authorization(&key, &req, id, exact, want - 1, &len),
               COS_SIGN_STATUS_BUFFER_TOO_SMALL, "one byte short", ctx);
  check(len == want, "one byte short reports the length", ctx);
  check_text(cos_sign_authorization(&key, &req, id, exact, want, &len), exact, &len,
             v->authorization, "exact-size buffer", ctx);
  free(exact);

  /* Verification: the vector's Authorization holds inside its window and fails outside,
   * for another id or key, with a changed signature, or without a listed header. */
  CosSignStr auth = S(v->authorization);
  const uint8_t *sk = (const uint8_t *)v->secret_key;
  size_t skl = strlen(v->secret_key);
  check_status(cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &req, id, sk, skl, v->start),
               COS_SIGN_STATUS_OK, "verify", ctx);
  check_status(cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &req, id, sk, skl, v->end + 1),
               COS_SIGN_STATUS_EXPIRED, "verify after the end", ctx);
  if (v->start > 0)
    check_status(cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &req, id, sk, skl, v->start - 1),
                 COS_SIGN_STATUS_NOT_YET_VALID, "verify before the start", ctx);
  check_status(cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &req, S("AKIDother"), sk, skl,
                               v->start),
               COS_SIGN_STATUS_ACCESS_KEY_MISMATCH, "verify another id", ctx);
  check_status(cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &req, id, (const uint8_t *)"x", 1,
                               v->start),
               COS_SIGN_STATUS_SIGNATURE_MISMATCH, "verify another key", ctx);
  char changed[2048];
  snprintf(changed, sizeof changed, "%s", v->authorization);
  size_t n = strlen(changed);
  changed[n - 1] = changed[n - 1] == '0' ? '1' : '0';
  check_status(cos_sign_verify(S(changed), COS_SIGN_FORM_HEADER, &req, id, sk, skl, v->start),
               COS_SIGN_STATUS_SIGNATURE_MISMATCH, "verify a changed signature", ctx);
  if (req.headers_len > 0) {
    CosSignRequest fewer = req;
    fewer.headers = headers + 1;
    fewer.headers_len = req.headers_len - 1;
    CosSignStatus st =
        cos_sign_verify(auth, COS_SIGN_FORM_HEADER, &fewer, id, sk, skl, v->start);
    check(st == COS_SIGN_STATUS_MISSING_HEADER || st == COS_SIGN_STATUS_SIGNATURE_MISMATCH,
          "verify without the first header", ctx);
  }
  /* The pre-signed query form verifies too. */
  check_status(cos_sign_write(&key, &req, id, COS_SIGN_TEXT_SIGNATURE_QUERY, buf, sizeof buf,
                              &len),
               COS_SIGN_STATUS_OK, "signature query", ctx);
  CosSignStr query = {buf, len};
  check_status(cos_sign_verify(query, COS_SIGN_FORM_QUERY, &req, id, sk, skl, v->start),
               COS_SIGN_STATUS_OK, "verify the pre-signed query", ctx);
  check_status(cos_sign_verify(query, COS_SIGN_FORM_HEADER + 7, &req, id, sk, skl, v->start),
               COS_SIGN_STATUS_INVALID_ARGUMENT, "verify with an unknown form", ctx);

  cos_sign_signing_key_wipe(&key);
  check_status(cos_sign_sign(&key, &req, &sig), COS_SIGN_STATUS_INVALID_ARGUMENT,
               "a wiped key is refused", ctx);
}

static void test_post_vector(const struct post_vector *v) {
  const char *ctx = v->name;
  CosSignSigningKey key;
  derive_checked(&key, v->secret_key, v->start, v->end, v->sign_key, ctx);
  char buf[4096];
  size_t len = 0;
  CosSignPostSignature sig;
  check_status(cos_sign_post_policy(&key, (const uint8_t *)v->policy_json,
                                    strlen(v->policy_json), &sig),
               COS_SIGN_STATUS_OK, "post policy", ctx);
  check(strcmp(sig.string_to_sign, v->string_to_sign) == 0, "post string to sign", ctx);
  check(strcmp(sig.signature, v->signature) == 0, "post signature", ctx);
  check_text(cos_sign_policy_base64((const uint8_t *)v->policy_json, strlen(v->policy_json),
                                    buf, sizeof buf, &len),
             buf, &len, v->policy_base64, "policy base64", ctx);
  check_status(cos_sign_policy_base64((const uint8_t *)v->policy_json, strlen(v->policy_json),
                                      buf, 3, &len),
               COS_SIGN_STATUS_BUFFER_TOO_SMALL, "policy base64 short buffer", ctx);
  check(len == strlen(v->policy_base64), "policy base64 reports the length", ctx);
  check_status(cos_sign_post_policy(&key, NULL, 5, &sig), COS_SIGN_STATUS_NULL_POINTER,
               "post policy NULL with length", ctx);
  check_status(cos_sign_post_policy(&key, (const uint8_t *)"{}", 2, NULL),
               COS_SIGN_STATUS_NULL_POINTER, "post policy NULL out", ctx);
  cos_sign_signing_key_wipe(&key);
}

static void test_errors(void) {
  const char *ctx = "errors";
  CosSignSigningKey key;
  check_status(cos_sign_signing_key_derive((const uint8_t *)"secret", 6, 1, 2, NULL),
               COS_SIGN_STATUS_NULL_POINTER, "derive into NULL", ctx);
  check_status(cos_sign_signing_key_derive(NULL, 6, 1, 2, &key), COS_SIGN_STATUS_NULL_POINTER,
               "derive from NULL with a length", ctx);
  check_status(cos_sign_signing_key_derive(NULL, 0, 1, 2, &key), COS_SIGN_STATUS_OK,
               "derive from an empty secret (NULL, 0)", ctx);

  CosSignPair headers[COS_SIGN_MAX_PAIRS + 1];
  for (size_t i = 0; i < COS_SIGN_MAX_PAIRS + 1; i++) {
    headers[i].name = S("x-cos-meta-a");
    headers[i].value = S("v");
  }
  CosSignRequest req = {S("GET"), S("/a.txt"), NULL, 0, headers, 1};
  CosSignStr id = S("AKIDexample");
  char buf[512];
  size_t len = 0;
  CosSignSignature sig;

  /* NULL pointers. */
  check_status(cos_sign_sign(NULL, &req, &sig), COS_SIGN_STATUS_NULL_POINTER, "NULL key", ctx);
  check_status(cos_sign_sign(&key, NULL, &sig), COS_SIGN_STATUS_NULL_POINTER, "NULL request",
               ctx);
  check_status(cos_sign_sign(&key, &req, NULL), COS_SIGN_STATUS_NULL_POINTER, "NULL out", ctx);
  check_status(cos_sign_authorization(&key, &req, id, buf, sizeof buf, NULL),
               COS_SIGN_STATUS_NULL_POINTER, "NULL length out", ctx);
  check_status(cos_sign_authorization(&key, &req, id, NULL, 10, &len),
               COS_SIGN_STATUS_NULL_POINTER, "NULL buffer with a capacity", ctx);
  CosSignStr null_str = {NULL, 3};
  check_status(cos_sign_authorization(&key, &req, null_str, buf, sizeof buf, &len),
               COS_SIGN_STATUS_NULL_POINTER, "NULL secret id with a length", ctx);
  CosSignRequest bad = req;
  bad.path = null_str;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_NULL_POINTER,
               "NULL path with a length", ctx);
  bad = req;
  bad.headers = NULL;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_NULL_POINTER,
               "NULL headers with a count", ctx);
  bad = req;
  bad.params = NULL;
  bad.params_len = 2;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_NULL_POINTER,
               "NULL params with a count", ctx);
  bad = req;
  bad.headers = NULL;
  bad.headers_len = 0;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_OK,
               "NULL headers with count 0", ctx);
  check_status(cos_sign_verify(S("x"), COS_SIGN_FORM_HEADER, NULL, id, NULL, 0, 0),
               COS_SIGN_STATUS_NULL_POINTER, "verify a NULL request", ctx);
  check_status(cos_sign_signing_key_hex(NULL, buf, sizeof buf, &len),
               COS_SIGN_STATUS_NULL_POINTER, "hex of a NULL key", ctx);
  check_status(cos_sign_policy_base64((const uint8_t *)"{}", 2, buf, sizeof buf, NULL),
               COS_SIGN_STATUS_NULL_POINTER, "base64 NULL length out", ctx);
  cos_sign_signing_key_wipe(NULL); /* ignored */

  /* Invalid UTF-8, wherever a string goes. */
  const char invalid[] = {'a', (char)0xC3, (char)0x28, 0}; /* a bad 2-byte sequence */
  CosSignStr inv = {invalid, 3};
  bad = req;
  bad.method = inv;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_INVALID_UTF8,
               "invalid UTF-8 method", ctx);
  bad = req;
  bad.path = inv;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_INVALID_UTF8,
               "invalid UTF-8 path", ctx);
  CosSignPair bad_pair[1] = {{S("x-cos-a"), inv}};
  bad = req;
  bad.headers = bad_pair;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_INVALID_UTF8,
               "invalid UTF-8 header value", ctx);
  bad_pair[0].name = inv;
  bad_pair[0].value = S("v");
  bad = req;
  bad.params = bad_pair;
  bad.params_len = 1;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_INVALID_UTF8,
               "invalid UTF-8 param name", ctx);
  check_status(cos_sign_authorization(&key, &req, inv, buf, sizeof buf, &len),
               COS_SIGN_STATUS_INVALID_UTF8, "invalid UTF-8 secret id", ctx);
  check_status(cos_sign_verify(inv, COS_SIGN_FORM_HEADER, &req, id, NULL, 0, 0),
               COS_SIGN_STATUS_INVALID_UTF8, "invalid UTF-8 authorization", ctx);
  /* A string is its length, not up to a NUL: "GET\0junk" with length 3 is "GET". */
  CosSignStr get_nul = {"GET\0junk", 3};
  bad = req;
  bad.method = get_nul;
  CosSignSignature sig2;
  check_status(cos_sign_sign(&key, &bad, &sig2), COS_SIGN_STATUS_OK, "length-bounded method",
               ctx);
  check_status(cos_sign_sign(&key, &req, &sig), COS_SIGN_STATUS_OK, "plain sign", ctx);
  check(strcmp(sig.signature, sig2.signature) == 0, "length-bounded method signs as GET", ctx);

  /* Capacity. */
  bad = req;
  bad.headers_len = COS_SIGN_MAX_PAIRS;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_OK, "COS_SIGN_MAX_PAIRS headers",
               ctx);
  bad.headers_len = COS_SIGN_MAX_PAIRS + 1;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_TOO_MANY_HEADERS,
               "too many headers", ctx);
  check_status(cos_sign_authorization(&key, &bad, id, buf, sizeof buf, &len),
               COS_SIGN_STATUS_TOO_MANY_HEADERS, "too many headers (authorization)", ctx);
  bad = req;
  bad.params = headers;
  bad.params_len = COS_SIGN_MAX_PAIRS + 1;
  check_status(cos_sign_sign(&key, &bad, &sig), COS_SIGN_STATUS_TOO_MANY_PARAMS,
               "too many params", ctx);

  /* Short buffers for every text kind, and unknown kinds. */
  for (uint32_t kind = COS_SIGN_TEXT_AUTHORIZATION; kind <= COS_SIGN_TEXT_PARAM_LIST; kind++) {
    CosSignPair p[1] = {{S("versionId"), S("v 1")}};
    CosSignRequest r = req;
    r.params = p;
    r.params_len = 1;
    size_t full = 0, again = 0;
    CosSignStatus st = cos_sign_write(&key, &r, id, kind, buf, sizeof buf, &full);
    check_status(st, COS_SIGN_STATUS_OK, "write a text kind", ctx);
    check(full > 0, "every text kind is non-empty here", ctx);
    check_status(cos_sign_write(&key, &r, id, kind, buf, full - 1, &again),
                 COS_SIGN_STATUS_BUFFER_TOO_SMALL, "every text kind: one byte short", ctx);
    check(again == full, "every text kind: the length needed", ctx);
  }
  check_status(cos_sign_write(&key, &req, id, 99, buf, sizeof buf, &len),
               COS_SIGN_STATUS_INVALID_ARGUMENT, "unknown text kind", ctx);

  /* Keys never derived, or wiped. */
  CosSignSigningKey zero;
  memset(&zero, 0, sizeof zero);
  check_status(cos_sign_sign(&zero, &req, &sig), COS_SIGN_STATUS_INVALID_ARGUMENT,
               "a key never derived", ctx);
  CosSignPostSignature post;
  check_status(cos_sign_post_policy(&zero, (const uint8_t *)"{}", 2, &post),
               COS_SIGN_STATUS_INVALID_ARGUMENT, "post policy with a key never derived", ctx);

  /* Malformed Authorizations. */
  const char *malformed[] = {
      "",
      "q-sign-algorithm=md5&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=&"
      "q-url-param-list=&q-signature=0000000000000000000000000000000000000000",
      "q-sign-algorithm=sha1&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=&"
      "q-url-param-list=&q-signature=00",
      "q-sign-algorithm=sha1&q-ak=a&q-sign-time=x&q-key-time=1;2&q-header-list=&"
      "q-url-param-list=&q-signature=0000000000000000000000000000000000000000",
  };
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
    check_status(cos_sign_verify(S(malformed[i]), COS_SIGN_FORM_HEADER, &req, id, NULL, 0, 1),
                 COS_SIGN_STATUS_MALFORMED_AUTHORIZATION, "malformed authorization", ctx);

  /* Status names. */
  check(strcmp(cos_sign_status_name(COS_SIGN_STATUS_BUFFER_TOO_SMALL), "BUFFER_TOO_SMALL") == 0,
        "status name", ctx);
  check(strcmp(cos_sign_status_name(1000), "UNKNOWN") == 0, "unknown status name", ctx);
  cos_sign_signing_key_wipe(&key);
}

int main(void) {
  size_t nsig = sizeof SIG_VECTORS / sizeof SIG_VECTORS[0];
  size_t npost = sizeof POST_VECTORS / sizeof POST_VECTORS[0];
  for (size_t i = 0; i < nsig; i++) test_signature_vector(&SIG_VECTORS[i]);
  for (size_t i = 0; i < npost; i++) test_post_vector(&POST_VECTORS[i]);
  test_errors();
  printf("c-api: %zu signature vectors, %zu post-policy vectors, %d checks, %d failed\n", nsig,
         npost, checks, failures);
  return failures == 0 ? 0 : 1;
}
