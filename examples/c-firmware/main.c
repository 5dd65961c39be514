/* The cos-sign C API on a Cortex-M4 (QEMU mps2-an386), from C: links libcos_sign_c.a built
 * for thumbv7em-none-eabihf with arm-none-eabi-gcc and newlib (semihosting through rdimon).
 *
 * Signs the doc-put-no-date vector (tests/data/signatures.json of crates/cos-sign-c) and a
 * pre-signed GET with two params and the host header (the same request as
 * examples/firmware, checked against qcloud_cos by examples/firmware/presign_oracle.py),
 * and reports the stack high-water mark of each signing call (derive + sign + write): the
 * stack below the stack pointer is painted before the call and scanned after it. Output
 * buffers belong to main and are not counted.
 *
 * Output, one `key: value` line each (scripts/c-test.sh checks them):
 *   authorization: ...      presigned-query: ...
 *   stack-authorization: N  stack-presigned: N  stack: N  stack-calibration: N
 *   result: ok | result: failed */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cos_sign.h"

#define STR(s) ((CosSignStr){(s), sizeof(s) - 1})

static const char SECRET_ID[] = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
static const char SECRET_KEY[] = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";

/* doc-put-no-date */
static const CosSignPair DOC_HEADERS[] = {
    {STR("Host"), STR("examplebucket-1250000000.cos.ap-beijing.myqcloud.com")},
    {STR("Content-Type"), STR("text/plain")},
    {STR("Content-Length"), STR("13")},
    {STR("Content-MD5"), STR("mQ/fVh815F3k6TAUm8m0eg==")},
    {STR("x-cos-acl"), STR("private")},
    {STR("x-cos-grant-read"), STR("uin=\"100000000011\"")},
};

/* The pre-signed GET: qcloud_cos get_presigned_url at time NOW with Expired=EXPIRES
 * signs the window NOW-60 .. NOW+EXPIRES and the URL's host. */
#define NOW 1700000000u
#define EXPIRES 3600u
static const CosSignPair GET_PARAMS[] = {
    {STR("response-content-disposition"), STR("attachment; filename=\"report 2024.pdf\"")},
    {STR("versionId"), STR("MTg0NDUxNTc1NjIzMTQ1MDAwODg")},
};
static const CosSignPair GET_HOST[] = {
    {STR("host"), STR("examplebucket-1250000000.cos.ap-beijing.myqcloud.com")},
};

typedef CosSignStatus (*signing_fn)(char *buf, size_t cap, size_t *len);

static CosSignStatus sign_doc_put(char *buf, size_t cap, size_t *len) {
  CosSignSigningKey key;
  CosSignStatus st = cos_sign_signing_key_derive((const uint8_t *)SECRET_KEY,
                                                 sizeof SECRET_KEY - 1, 1557989151u,
                                                 1557996351u, &key);
  if (st != COS_SIGN_STATUS_OK) return st;
  CosSignRequest req = {STR("PUT"), STR("/exampleobject(\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91)"),
                        NULL, 0, DOC_HEADERS, sizeof DOC_HEADERS / sizeof DOC_HEADERS[0]};
  st = cos_sign_authorization(&key, &req, STR(SECRET_ID), buf, cap, len);
  cos_sign_signing_key_wipe(&key);
  return st;
}

static CosSignStatus presign_get(char *buf, size_t cap, size_t *len) {
  CosSignSigningKey key;
  CosSignStatus st = cos_sign_signing_key_derive(
      (const uint8_t *)SECRET_KEY, sizeof SECRET_KEY - 1, NOW - 60, NOW + EXPIRES, &key);
  if (st != COS_SIGN_STATUS_OK) return st;
  CosSignRequest req = {
      STR("GET"), STR("/docs/report 2024(\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91).pdf"),
      GET_PARAMS, sizeof GET_PARAMS / sizeof GET_PARAMS[0],
      GET_HOST, 1};
  st = cos_sign_presigned_query(&key, &req, STR(SECRET_ID), buf, cap, len);
  cos_sign_signing_key_wipe(&key);
  return st;
}

/* Puts a known 1024 bytes on the stack: the measurement must report a little more. */
static CosSignStatus calibrate(char *buf, size_t cap, size_t *len) {
  volatile uint8_t block[1024];
  for (size_t i = 0; i < sizeof block; i++) block[i] = 0;
  (void)buf;
  (void)cap;
  *len = block[0];
  return COS_SIGN_STATUS_OK;
}

#define PAINT_BYTES (16u * 1024u)
#define MARGIN_BYTES 256u
#define PATTERN 0xA5C35A3Cu

/* Runs f with [sp - MARGIN - PAINT, sp - MARGIN) painted; returns the bytes of stack it used
 * below the stack pointer of this frame, 0 when that cannot be told. */
__attribute__((noinline)) static uint32_t measure(signing_fn f, char *buf, size_t cap,
                                                  size_t *len, CosSignStatus *st) {
  uint32_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  uint32_t top = sp - MARGIN_BYTES, bottom = top - PAINT_BYTES, addr;
  for (addr = bottom; addr < top; addr += 4) *(volatile uint32_t *)addr = PATTERN;
  signing_fn volatile call = f; /* called, not inlined into this frame */
  *st = call(buf, cap, len);
  for (addr = bottom; addr < top; addr += 4)
    if (*(volatile uint32_t *)addr != PATTERN) break;
  return (addr > bottom && addr < top) ? sp - addr : 0;
}

int main(void) {
  static char auth[512], query[1024];
  size_t auth_len = 0, query_len = 0, cal_len = 0;
  CosSignStatus st_auth, st_query, st_cal;
  uint32_t stack_auth = measure(sign_doc_put, auth, sizeof auth, &auth_len, &st_auth);
  uint32_t stack_query = measure(presign_get, query, sizeof query, &query_len, &st_query);
  uint32_t stack_cal = measure(calibrate, NULL, 0, &cal_len, &st_cal);
  int ok = st_auth == COS_SIGN_STATUS_OK && st_query == COS_SIGN_STATUS_OK && stack_auth &&
           stack_query && stack_cal;
  if (st_auth == COS_SIGN_STATUS_OK) printf("authorization: %.*s\n", (int)auth_len, auth);
  else printf("error: authorization %s\n", cos_sign_status_name((uint32_t)st_auth));
  if (st_query == COS_SIGN_STATUS_OK) printf("presigned-query: %.*s\n", (int)query_len, query);
  else printf("error: presigned query %s\n", cos_sign_status_name((uint32_t)st_query));
  printf("stack-authorization: %lu\n", (unsigned long)stack_auth);
  printf("stack-presigned: %lu\n", (unsigned long)stack_query);
  printf("stack: %lu\n", (unsigned long)(stack_auth > stack_query ? stack_auth : stack_query));
  printf("stack-calibration: %lu\n", (unsigned long)stack_cal);
  printf("result: %s\n", ok ? "ok" : "failed");
  return ok ? 0 : 1;
}
