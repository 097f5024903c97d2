/**
 * Loads libsodium (libsodium-wrappers-sumo: WebAssembly, ISC licence) and
 * installs it for ./sodium.ts, so that ristretto255 multiplications go
 * through it. Instantiation is asynchronous and happens once; later calls
 * return the same promise. Browser-safe, but a bundle that imports this
 * module carries libsodium (about 190 KB gzipped).
 */
import sodium from 'libsodium-wrappers-sumo';
import { installSodium } from './sodium.js';

let loading: Promise<void> | undefined;

/** Instantiates libsodium and routes ./group.ts's multiplications through it. */
export function loadSodium(): Promise<void> {
  loading ??= sodium.ready.then(() => installSodium(sodium));
  return loading;
}
