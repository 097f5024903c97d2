/**
 * Random primes and safe primes from the CSPRNG.
 *
 * Candidates are sieved by the odd primes below 2^16 over a block of
 * consecutive odd numbers from a random start, then tested by Miller-Rabin
 * (HAC 4.24) with base 2 followed by random bases. For a random candidate the
 * error after t rounds is far below the worst-case 4^-t (Damgard, Landrock and
 * Pomerance 1993); we run MR_ROUNDS rounds regardless, so even the worst case
 * is below 2^-80.
 *
 * A safe prime p = 2p' + 1 (p' prime) is searched for by sieving p' and p
 * together (p' must avoid 0 and (r - 1)/2 mod every small prime r), then a
 * base-2 Fermat test of p' and of p before Miller-Rabin on p'. Once p' is
 * prime, p needs no probabilistic test: by Pocklington's theorem (with
 * p - 1 = 2p' and the prime factor p' > sqrt(p)), 2^(p-1) = 1 mod p and
 * gcd(2^2 - 1, p) = 1 prove p prime.
 */
import type { CryptoProvider } from '../../random/provider.js';
import { bitLength, modPow, randomBelow, randomBits } from './bigint.js';

const MR_ROUNDS = 40;
const SIEVE_LIMIT = 1 << 16;
const BLOCK = 1 << 14; // odd candidates per sieved block

const SMALL_PRIMES: readonly number[] = (() => {
  const composite = new Uint8Array(SIEVE_LIMIT);
  const out: number[] = [];
  for (let i = 3; i < SIEVE_LIMIT; i += 2) {
    if (composite[i]) continue;
    out.push(i);
    for (let j = i * i; j < SIEVE_LIMIT; j += 2 * i) composite[j] = 1;
  }
  return out;
})();

/** Miller-Rabin with base 2 and then `rounds - 1` random bases. */
export function isProbablePrime(
  n: bigint,
  crypto: CryptoProvider,
  rounds: number = MR_ROUNDS,
): boolean {
  if (n < 2n) return false;
  for (const p of SMALL_PRIMES.slice(0, 64)) {
    const bp = BigInt(p);
    if (n === bp) return true;
    if (n % bp === 0n) return false;
  }
  if (n === 2n) return true;
  if (n % 2n === 0n) return false;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let round = 0; round < rounds; round++) {
    const a = round === 0 ? 2n : 2n + randomBelow(n - 3n, crypto);
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        witness = false;
        break;
      }
    }
    if (witness) return false;
  }
  return true;
}

/** A random odd start of exactly `bits` bits with its top two bits set. */
function randomStart(bits: number, crypto: CryptoProvider): bigint {
  const top = 3n << BigInt(bits - 2);
  return randomBits(bits, crypto) | top | 1n;
}

/**
 * Sieves the odd numbers start + 2k, k in [0, BLOCK), and returns the k for
 * which start + 2k (and, for safe primes, 2(start + 2k) + 1) has no factor
 * below 2^16.
 */
function sieve(start: bigint, safe: boolean): number[] {
  const out = new Uint8Array(BLOCK);
  for (const p of SMALL_PRIMES) {
    const r = Number(start % BigInt(p));
    const inv2 = (p + 1) / 2; // 2^-1 mod p
    // start + 2k = 0 mod p  <=>  k = -r / 2 mod p
    const k0 = (((p - r) % p) * inv2) % p;
    for (let k = k0; k < BLOCK; k += p) out[k] = 1;
    if (safe) {
      // 2(start + 2k) + 1 = 0 mod p  <=>  k = (-1/2 - r) / 2 mod p
      const k1 = ((((p - inv2 + p - r) % p) * inv2) % p) % p;
      for (let k = k1; k < BLOCK; k += p) out[k] = 1;
    }
  }
  const survivors: number[] = [];
  for (let k = 0; k < BLOCK; k++) if (!out[k]) survivors.push(k);
  return survivors;
}

function checkBits(bits: number, min: number): void {
  if (!Number.isSafeInteger(bits) || bits < min)
    throw new RangeError(`prime size: expected at least ${min} bits, got ${bits}`);
}

/**
 * A random prime of exactly `bits` bits with its top two bits set (so the
 * product of two such primes has exactly 2 * bits bits).
 * @throws {RangeError} for fewer than 32 bits.
 */
export function randomPrime(bits: number, crypto: CryptoProvider): bigint {
  checkBits(bits, 32);
  for (;;) {
    const start = randomStart(bits, crypto);
    for (const k of sieve(start, false)) {
      const c = start + 2n * BigInt(k);
      if (bitLength(c) !== bits) break;
      if (modPow(2n, c - 1n, c) !== 1n) continue;
      if (isProbablePrime(c, crypto)) return c;
    }
  }
}

/**
 * Whether p = 2p' + 1 is a safe prime: Miller-Rabin on p', then Pocklington
 * for p (see the module comment).
 */
export function isSafePrime(p: bigint, crypto: CryptoProvider): boolean {
  if (p < 11n || p % 4n !== 3n || p % 3n === 0n) return false;
  const pPrime = (p - 1n) / 2n;
  return modPow(2n, p - 1n, p) === 1n && isProbablePrime(pPrime, crypto);
}

/**
 * A random safe prime p = 2p' + 1 of exactly `bits` bits (top two bits set),
 * with p' prime. Returns both.
 * @throws {RangeError} for fewer than 32 bits.
 */
export function randomSafePrime(
  bits: number,
  crypto: CryptoProvider,
): { p: bigint; pPrime: bigint } {
  checkBits(bits, 32);
  for (;;) {
    // p' has bits - 1 bits with its top two set, so p = 2p' + 1 has its top two set too.
    const start = randomStart(bits - 1, crypto);
    for (const k of sieve(start, true)) {
      const pPrime = start + 2n * BigInt(k);
      if (bitLength(pPrime) !== bits - 1) break;
      if (modPow(2n, pPrime - 1n, pPrime) !== 1n) continue;
      const p = 2n * pPrime + 1n;
      if (modPow(2n, p - 1n, p) !== 1n) continue;
      if (isProbablePrime(pPrime, crypto)) return { p, pPrime };
    }
  }
}
