/*
 * Entente's optional native AES-128 kernel for Node (an N-API addon).
 *
 * Why it exists: node:crypto's cipher.update() returns a fresh Buffer for
 * every call, so batched fixed-key AES (garbling, OT extension) pays an
 * allocation, a copy back into WebAssembly memory and the garbage collector
 * on every batch, and reaches about half of what AES-NI does on the same
 * blocks. This kernel encrypts straight from one typed array into another
 * (usually both views of a WebAssembly memory) with AES-NI, or with VAES on
 * 512-bit registers where the CPU has it. Nothing is allocated per call.
 *
 * AES-128 is FIPS 197; the key expansion below is the standard one, done
 * with AESKEYGENASSIST. Counter mode is NIST SP 800-38A with a 128-bit
 * big-endian counter, which is what OpenSSL's (and so node:crypto's)
 * aes-128-ctr produces; tests compare both modes with node:crypto.
 *
 * Everything here is optional: without a compiler, or on a CPU without
 * AES-NI, src/adapters/node/native.ts reports why and node:crypto is used.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Elsewhere (ARM, say) the module builds and loads but offers no kernel. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(ENTENTE_NO_X86)
#define ENTENTE_X86 1
#include <immintrin.h>
#endif

enum path { PATH_NONE = 0, PATH_AESNI = 1, PATH_VAES = 2 };
static enum path best_path = PATH_NONE;
static enum path active_path = PATH_NONE;

#ifdef ENTENTE_X86
/* ---- key expansion (FIPS 197 section 5.2, AES-128: 11 round keys) ---- */

__attribute__((target("aes,sse2"))) static __m128i expand_step(__m128i k, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xff);
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  return _mm_xor_si128(k, assist);
}

#define EXPAND(i, rcon) \
  rk[i] = expand_step(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon))

__attribute__((target("aes,sse2"))) static void expand_key(const uint8_t *key, uint8_t *out) {
  __m128i rk[11];
  rk[0] = _mm_loadu_si128((const __m128i *)key);
  EXPAND(1, 0x01);
  EXPAND(2, 0x02);
  EXPAND(3, 0x04);
  EXPAND(4, 0x08);
  EXPAND(5, 0x10);
  EXPAND(6, 0x20);
  EXPAND(7, 0x40);
  EXPAND(8, 0x80);
  EXPAND(9, 0x1b);
  EXPAND(10, 0x36);
  for (int i = 0; i < 11; i++) _mm_storeu_si128((__m128i *)(out + 16 * i), rk[i]);
}

/* ---- one block at a time (tails) ---- */

__attribute__((target("aes,sse2"))) static inline __m128i enc1(const __m128i *rk, __m128i b) {
  b = _mm_xor_si128(b, rk[0]);
  for (int r = 1; r < 10; r++) b = _mm_aesenc_si128(b, rk[r]);
  return _mm_aesenclast_si128(b, rk[10]);
}

/* ---- ECB: 8 blocks in flight on 128-bit registers ---- */

__attribute__((target("aes,sse2"))) static void ecb_aesni(const uint8_t *rkb, const uint8_t *in,
                                                        uint8_t *out, size_t n) {
  __m128i rk[11];
  for (int r = 0; r < 11; r++) rk[r] = _mm_loadu_si128((const __m128i *)(rkb + 16 * r));
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i b[8];
    for (int j = 0; j < 8; j++)
      b[j] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + 16 * (i + j))), rk[0]);
    for (int r = 1; r < 10; r++)
      for (int j = 0; j < 8; j++) b[j] = _mm_aesenc_si128(b[j], rk[r]);
    for (int j = 0; j < 8; j++)
      _mm_storeu_si128((__m128i *)(out + 16 * (i + j)), _mm_aesenclast_si128(b[j], rk[10]));
  }
  for (; i < n; i++)
    _mm_storeu_si128((__m128i *)(out + 16 * i),
                     enc1(rk, _mm_loadu_si128((const __m128i *)(in + 16 * i))));
}

/* ---- ECB: 32 blocks in flight on 512-bit registers (VAES) ---- */

__attribute__((target("aes,vaes,avx512f"))) static void ecb_vaes(const uint8_t *rkb,
                                                               const uint8_t *in, uint8_t *out,
                                                               size_t n) {
  __m128i rk[11];
  __m512i k[11];
  for (int r = 0; r < 11; r++) {
    rk[r] = _mm_loadu_si128((const __m128i *)(rkb + 16 * r));
    k[r] = _mm512_broadcast_i32x4(rk[r]);
  }
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512i b[8];
    for (int j = 0; j < 8; j++)
      b[j] = _mm512_xor_si512(_mm512_loadu_si512(in + 16 * (i + 4 * j)), k[0]);
    for (int r = 1; r < 10; r++)
      for (int j = 0; j < 8; j++) b[j] = _mm512_aesenc_epi128(b[j], k[r]);
    for (int j = 0; j < 8; j++)
      _mm512_storeu_si512(out + 16 * (i + 4 * j), _mm512_aesenclast_epi128(b[j], k[10]));
  }
  for (; i + 4 <= n; i += 4) {
    __m512i b = _mm512_xor_si512(_mm512_loadu_si512(in + 16 * i), k[0]);
    for (int r = 1; r < 10; r++) b = _mm512_aesenc_epi128(b, k[r]);
    _mm512_storeu_si512(out + 16 * i, _mm512_aesenclast_epi128(b, k[10]));
  }
  for (; i < n; i++)
    _mm_storeu_si128((__m128i *)(out + 16 * i),
                     enc1(rk, _mm_loadu_si128((const __m128i *)(in + 16 * i))));
}

/*
 * ---- CTR: keystream block j = AES(counter + j), counter a 128-bit
 * big-endian integer. Counters are kept as little-endian (lo, hi) 64-bit
 * lanes and byte-reversed per block; a batch whose low half would wrap takes
 * the block-at-a-time path so the carry into the high half is exact.
 */

static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t x = 0;
  for (int i = 0; i < 8; i++) x = (x << 8) | p[i];
  return x;
}

static inline void store_be64(uint8_t *p, uint64_t x) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)x;
    x >>= 8;
  }
}

__attribute__((target("aes,ssse3"))) static inline __m128i be_block(uint64_t hi, uint64_t lo) {
  const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm_shuffle_epi8(_mm_set_epi64x((long long)hi, (long long)lo), rev);
}

__attribute__((target("aes,ssse3"))) static void ctr_slow(const __m128i *rk, uint64_t *hi,
                                                        uint64_t *lo, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    _mm_storeu_si128((__m128i *)(out + 16 * i), enc1(rk, be_block(*hi, *lo)));
    if (++*lo == 0) ++*hi;
  }
}

__attribute__((target("aes,ssse3"))) static void ctr_aesni(const uint8_t *rkb, uint8_t *ctr,
                                                         uint8_t *out, size_t n) {
  __m128i rk[11];
  for (int r = 0; r < 11; r++) rk[r] = _mm_loadu_si128((const __m128i *)(rkb + 16 * r));
  uint64_t hi = load_be64(ctr), lo = load_be64(ctr + 8);
  if (lo > UINT64_MAX - n) {
    ctr_slow(rk, &hi, &lo, out, n);
  } else {
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i one = _mm_set_epi64x(0, 1);
    __m128i c = _mm_set_epi64x((long long)hi, (long long)lo);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      __m128i b[8];
      for (int j = 0; j < 8; j++) {
        b[j] = _mm_xor_si128(_mm_shuffle_epi8(c, rev), rk[0]);
        c = _mm_add_epi64(c, one);
      }
      for (int r = 1; r < 10; r++)
        for (int j = 0; j < 8; j++) b[j] = _mm_aesenc_si128(b[j], rk[r]);
      for (int j = 0; j < 8; j++)
        _mm_storeu_si128((__m128i *)(out + 16 * (i + j)), _mm_aesenclast_si128(b[j], rk[10]));
    }
    for (; i < n; i++) {
      _mm_storeu_si128((__m128i *)(out + 16 * i), enc1(rk, _mm_shuffle_epi8(c, rev)));
      c = _mm_add_epi64(c, one);
    }
    lo += n;
  }
  store_be64(ctr, hi);
  store_be64(ctr + 8, lo);
}

__attribute__((target("aes,ssse3,vaes,avx512f,avx512bw"))) static void ctr_vaes(
    const uint8_t *rkb, uint8_t *ctr, uint8_t *out, size_t n) {
  __m128i rk[11];
  __m512i k[11];
  for (int r = 0; r < 11; r++) {
    rk[r] = _mm_loadu_si128((const __m128i *)(rkb + 16 * r));
    k[r] = _mm512_broadcast_i32x4(rk[r]);
  }
  uint64_t hi = load_be64(ctr), lo = load_be64(ctr + 8);
  if (lo > UINT64_MAX - n) {
    ctr_slow(rk, &hi, &lo, out, n);
  } else {
    const __m512i rev = _mm512_broadcast_i32x4(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i four = _mm512_set_epi64(0, 4, 0, 4, 0, 4, 0, 4);
    /* lanes hold counters lo + 0..3 (as (lo, hi) little-endian pairs) */
    __m512i c = _mm512_add_epi64(_mm512_broadcast_i32x4(_mm_set_epi64x((long long)hi, (long long)lo)),
                                 _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      __m512i b[8];
      for (int j = 0; j < 8; j++) {
        b[j] = _mm512_xor_si512(_mm512_shuffle_epi8(c, rev), k[0]);
        c = _mm512_add_epi64(c, four);
      }
      for (int r = 1; r < 10; r++)
        for (int j = 0; j < 8; j++) b[j] = _mm512_aesenc_epi128(b[j], k[r]);
      for (int j = 0; j < 8; j++)
        _mm512_storeu_si512(out + 16 * (i + 4 * j), _mm512_aesenclast_epi128(b[j], k[10]));
    }
    lo += i;
    ctr_slow(rk, &hi, &lo, out + 16 * i, n - i);
  }
  store_be64(ctr, hi);
  store_be64(ctr + 8, lo);
}

#else
static void expand_key(const uint8_t *key, uint8_t *out) { (void)key; (void)out; }
static void ecb_aesni(const uint8_t *rk, const uint8_t *in, uint8_t *out, size_t n) {
  (void)rk; (void)in; (void)out; (void)n;
}
static void ecb_vaes(const uint8_t *rk, const uint8_t *in, uint8_t *out, size_t n) {
  (void)rk; (void)in; (void)out; (void)n;
}
static void ctr_aesni(const uint8_t *rk, uint8_t *ctr, uint8_t *out, size_t n) {
  (void)rk; (void)ctr; (void)out; (void)n;
}
static void ctr_vaes(const uint8_t *rk, uint8_t *ctr, uint8_t *out, size_t n) {
  (void)rk; (void)ctr; (void)out; (void)n;
}
#endif /* ENTENTE_X86 */

/* ---- N-API glue ---- */

static int bytes_of(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    char msg[96];
    snprintf(msg, sizeof msg, "entente native aes: %s must be a typed array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) {
    napi_throw_error(env, NULL, "entente native aes: cannot read a typed array");
    return 0;
  }
  size_t elem = 1;
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      elem = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      elem = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      elem = 8;
      break;
    default:
      elem = 1;
  }
  *data = (uint8_t *)p;
  *len = length * elem;
  return 1;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  if (active_path == PATH_NONE) {
    napi_throw_error(env, NULL, "entente native aes: this CPU has no AES-NI");
    return 0;
  }
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "entente native aes: missing arguments");
    return 0;
  }
  return 1;
}

/* expandKey(key: 16 bytes, roundKeys: 176 bytes) */
static napi_value js_expand_key(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *key, *rk;
  size_t klen, rlen;
  if (!args(env, info, 2, argv) || !bytes_of(env, argv[0], "key", &key, &klen) ||
      !bytes_of(env, argv[1], "roundKeys", &rk, &rlen))
    return NULL;
  if (klen != 16 || rlen != 176) {
    napi_throw_range_error(env, NULL, "entente native aes: expected a 16-byte key and 176 bytes of round keys");
    return NULL;
  }
  expand_key(key, rk);
  return NULL;
}

/* ecb(roundKeys, input, output): equal lengths, multiples of 16, identical or disjoint */
static napi_value js_ecb(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint8_t *rk, *in, *out;
  size_t rlen, ilen, olen;
  if (!args(env, info, 3, argv) || !bytes_of(env, argv[0], "roundKeys", &rk, &rlen) ||
      !bytes_of(env, argv[1], "input", &in, &ilen) ||
      !bytes_of(env, argv[2], "output", &out, &olen))
    return NULL;
  if (rlen != 176 || ilen != olen || ilen % 16 != 0) {
    napi_throw_range_error(env, NULL, "entente native aes: ecb needs 176 bytes of round keys and equal multiples of 16 bytes");
    return NULL;
  }
  if (in != out && in < out + olen && out < in + ilen) {
    napi_throw_range_error(env, NULL, "entente native aes: ecb input and output overlap without being the same array");
    return NULL;
  }
  if (active_path == PATH_VAES) ecb_vaes(rk, in, out, ilen / 16);
  else ecb_aesni(rk, in, out, ilen / 16);
  return NULL;
}

/* ctr(roundKeys, counter: 16 bytes, advanced in place, output: multiple of 16) */
static napi_value js_ctr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint8_t *rk, *ctr, *out;
  size_t rlen, clen, olen;
  if (!args(env, info, 3, argv) || !bytes_of(env, argv[0], "roundKeys", &rk, &rlen) ||
      !bytes_of(env, argv[1], "counter", &ctr, &clen) ||
      !bytes_of(env, argv[2], "output", &out, &olen))
    return NULL;
  if (rlen != 176 || clen != 16 || olen % 16 != 0) {
    napi_throw_range_error(env, NULL, "entente native aes: ctr needs 176 bytes of round keys, a 16-byte counter and a multiple of 16 bytes of output");
    return NULL;
  }
  if (active_path == PATH_VAES) ctr_vaes(rk, ctr, out, olen / 16);
  else ctr_aesni(rk, ctr, out, olen / 16);
  return NULL;
}

static const char *path_name(enum path p) {
  return p == PATH_VAES ? "vaes" : p == PATH_AESNI ? "aesni" : "none";
}

/* path(): the kernel in use; path(name): choose "aesni" or "vaes" (tests, benchmarks) */
static napi_value js_path(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) {
    char name[16] = {0};
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "entente native aes: path name must be a string");
      return NULL;
    }
    enum path want = PATH_NONE;
    if (len == 5 && memcmp(name, "aesni", 5) == 0) want = PATH_AESNI;
    else if (len == 4 && memcmp(name, "vaes", 4) == 0) want = PATH_VAES;
    if (want == PATH_NONE || want > best_path) {
      napi_throw_range_error(env, NULL, "entente native aes: that kernel is not available on this CPU");
      return NULL;
    }
    active_path = want;
  }
  napi_value out;
  napi_create_string_utf8(env, path_name(active_path), NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value js_best(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, path_name(best_path), NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
#ifdef ENTENTE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("ssse3")) best_path = PATH_AESNI;
  if (best_path == PATH_AESNI && __builtin_cpu_supports("vaes") &&
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    best_path = PATH_VAES;
#endif
  active_path = best_path;
  napi_property_descriptor props[] = {
      {"expandKey", NULL, js_expand_key, NULL, NULL, NULL, napi_default, NULL},
      {"ecb", NULL, js_ecb, NULL, NULL, NULL, napi_default, NULL},
      {"ctr", NULL, js_ctr, NULL, NULL, NULL, napi_default, NULL},
      {"path", NULL, js_path, NULL, NULL, NULL, napi_default, NULL},
      {"best", NULL, js_best, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
