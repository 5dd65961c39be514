/* Provisional: hand-written until cbindgen regenerates it (scripts/c-test.sh checks). */
#ifndef COS_SIGN_H
#define COS_SIGN_H
#include <stddef.h>
#include <stdint.h>
#define COS_SIGN_MAX_PAIRS 16
typedef enum CosSignStatus { COS_SIGN_STATUS_OK = 0, COS_SIGN_STATUS_NULL_POINTER = 1, COS_SIGN_STATUS_INVALID_UTF8 = 2, COS_SIGN_STATUS_BUFFER_TOO_SMALL = 3, COS_SIGN_STATUS_TOO_MANY_PARAMS = 4, COS_SIGN_STATUS_TOO_MANY_HEADERS = 5, COS_SIGN_STATUS_INVALID_ARGUMENT = 6, COS_SIGN_STATUS_MALFORMED_AUTHORIZATION = 7, COS_SIGN_STATUS_ACCESS_KEY_MISMATCH = 8, COS_SIGN_STATUS_NOT_YET_VALID = 9, COS_SIGN_STATUS_EXPIRED = 10, COS_SIGN_STATUS_MISSING_HEADER = 11, COS_SIGN_STATUS_MISSING_PARAM = 12, COS_SIGN_STATUS_SIGNATURE_MISMATCH = 13 } CosSignStatus;
typedef enum CosSignText { COS_SIGN_TEXT_AUTHORIZATION = 0, COS_SIGN_TEXT_SIGNATURE_QUERY = 1, COS_SIGN_TEXT_PARAMS_QUERY = 2, COS_SIGN_TEXT_PRESIGNED_QUERY = 3, COS_SIGN_TEXT_HTTP_STRING = 4, COS_SIGN_TEXT_STRING_TO_SIGN = 5, COS_SIGN_TEXT_HEADER_LIST = 6, COS_SIGN_TEXT_PARAM_LIST = 7 } CosSignText;
typedef enum CosSignForm { COS_SIGN_FORM_HEADER = 0, COS_SIGN_FORM_QUERY = 1 } CosSignForm;
typedef struct CosSignSigningKey { uint64_t magic; uint64_t storage[32]; } CosSignSigningKey;
typedef struct CosSignStr { const char *ptr; size_t len; } CosSignStr;
typedef struct CosSignPair { CosSignStr name; CosSignStr value; } CosSignPair;
typedef struct CosSignRequest { CosSignStr method; CosSignStr path; const CosSignPair *params; size_t params_len; const CosSignPair *headers; size_t headers_len; } CosSignRequest;
typedef struct CosSignSignature { char signature[41]; } CosSignSignature;
typedef struct CosSignPostSignature { char string_to_sign[41]; char signature[41]; } CosSignPostSignature;
CosSignStatus cos_sign_signing_key_derive(const uint8_t *secret_key, size_t secret_key_len, uint64_t start, uint64_t end, CosSignSigningKey *out);
void cos_sign_signing_key_wipe(CosSignSigningKey *key);
CosSignStatus cos_sign_signing_key_hex(const CosSignSigningKey *key, char *buf, size_t cap, size_t *len);
CosSignStatus cos_sign_sign(const CosSignSigningKey *key, const CosSignRequest *req, CosSignSignature *out);
CosSignStatus cos_sign_write(const CosSignSigningKey *key, const CosSignRequest *req, CosSignStr secret_id, uint32_t kind, char *buf, size_t cap, size_t *len);
CosSignStatus cos_sign_authorization(const CosSignSigningKey *key, const CosSignRequest *req, CosSignStr secret_id, char *buf, size_t cap, size_t *len);
CosSignStatus cos_sign_presigned_query(const CosSignSigningKey *key, const CosSignRequest *req, CosSignStr secret_id, char *buf, size_t cap, size_t *len);
CosSignStatus cos_sign_params_query(const CosSignSigningKey *key, const CosSignRequest *req, char *buf, size_t cap, size_t *len);
CosSignStatus cos_sign_verify(CosSignStr authorization, uint32_t form, const CosSignRequest *req, CosSignStr secret_id, const uint8_t *secret_key, size_t secret_key_len, uint64_t now);
CosSignStatus cos_sign_post_policy(const CosSignSigningKey *key, const uint8_t *policy, size_t policy_len, CosSignPostSignature *out);
CosSignStatus cos_sign_policy_base64(const uint8_t *policy, size_t policy_len, char *buf, size_t cap, size_t *len);
const char *cos_sign_status_name(uint32_t status);
#endif
