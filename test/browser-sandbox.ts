/**
 * A browser-like global scope for bundled code (imported by tests only):
 * WebCrypto, MessageChannel, timers, console, performance and text codecs,
 * and nothing of Node's. Runs `code` (an IIFE bundle) in it and returns the
 * context, in which the test then evaluates its program.
 */
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';
import { MessageChannel } from 'node:worker_threads';

export function browserSandbox(code: string): vm.Context {
  const sandbox = vm.createContext({
    crypto: webcrypto,
    MessageChannel,
    setTimeout,
    clearTimeout,
    console,
    performance,
    TextEncoder,
    TextDecoder,
  });
  vm.runInContext(code, sandbox);
  return sandbox;
}
