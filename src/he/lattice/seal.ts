/**
 * Loading Microsoft SEAL (node-seal 7.0.0, SEAL 4.1.2 compiled to WebAssembly)
 * and turning its failures into typed errors.
 *
 * node-seal's loader runs in browsers and in Node; here it is given either the
 * WebAssembly bytes (`wasmBinary`, e.g. fetched by an app) or a `locateFile`
 * hook, and otherwise finds the .wasm beside its own module. Nothing here uses
 * a Node API. SEAL draws its key and encryption randomness from its own
 * generator seeded by the runtime's CSPRNG (crypto.getRandomValues under
 * Emscripten).
 *
 * SEAL throws C++ exceptions, which reach JavaScript as WebAssembly.Exception
 * objects with no readable message; `sealCall` catches them (and Embind's
 * argument errors, and WebAssembly traps) and rethrows a LatticeError with
 * SEAL's own message, so no raw WASM exception leaves this layer.
 */
import type { MainModule } from 'node-seal';
import { LatticeError, LatticeUnavailableError } from './errors.js';

export type Seal = MainModule;

/** How to find the WebAssembly: give the bytes, or a locateFile hook, or neither (node-seal's default). */
export interface SealLoadOptions {
  readonly wasmBinary?: Uint8Array;
  readonly locateFile?: (path: string) => string;
}

// The smallest module that uses try_table (opcode 0x1f, the exnref form of
// exception handling node-seal 7.0.0 is compiled with): () -> () with an empty
// try_table block.
const TRY_TABLE_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
  0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x1f, 0x40, 0x00, 0x0b, 0x0b,
]);

/**
 * Whether this JavaScript engine can compile node-seal 7.0.0's WebAssembly
 * (exception references). False on Node 20 (V8 11.3); true on Chromium 150.
 */
export function sealSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(TRY_TABLE_PROBE);
  } catch {
    return false;
  }
}

const UNAVAILABLE =
  'node-seal 7.0.0 needs WebAssembly exception references (exnref), which this JavaScript engine ' +
  'lacks (Node 20 is one such engine; recent Chromium and Firefox have them)';

/**
 * Loads SEAL's WebAssembly. Each call instantiates a fresh module (about 1.3 MB
 * of code); load once per process or page and pass the result around.
 *
 * @throws {LatticeUnavailableError} if the engine cannot compile the module.
 * @example
 *   const seal = await loadSeal();
 *   const ctx = createContext(seal, 'ckks-8192');
 */
export async function loadSeal(options: SealLoadOptions = {}): Promise<Seal> {
  if (!sealSupported()) throw new LatticeUnavailableError(`loadSeal: ${UNAVAILABLE}`);
  const { initialize } = await import('node-seal');
  const settings: Record<string, unknown> = {};
  if (options.wasmBinary) settings.wasmBinary = options.wasmBinary;
  if (options.locateFile) settings.locateFile = options.locateFile;
  // Emscripten prints its abort reason on stderr and rejects: keep the print
  // quiet (it would duplicate our message) and report the reason once.
  settings.printErr = () => {};
  try {
    return await initialize(settings);
  } catch (e) {
    throw new LatticeUnavailableError(`loadSeal: the WebAssembly did not start (${describe(e)})`);
  }
}

interface ExceptionHelpers {
  getExceptionMessage?: (e: unknown) => [string, string | undefined];
  decrementExceptionRefcount?: (e: unknown) => void;
}

/** A one-line account of a SEAL failure: the C++ exception's type and message, or the JS error's. */
export function describeSealError(seal: Seal, e: unknown): string {
  const helpers = seal as unknown as ExceptionHelpers;
  // WebAssembly.Exception is missing from TypeScript's lib typings (ES2022 + DOM here).
  const WasmException = (WebAssembly as unknown as { Exception?: new () => object }).Exception;
  if (typeof WasmException === 'function' && e instanceof WasmException) {
    try {
      const [type, message] = helpers.getExceptionMessage?.(e) ?? ['C++ exception', undefined];
      helpers.decrementExceptionRefcount?.(e);
      return message ? `${type}: ${message}` : type;
    } catch {
      return 'C++ exception';
    }
  }
  return describe(e);
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Runs one SEAL call and rethrows any failure as `make(message)`, prefixed by
 * `what` (the operation, for the reader of the error).
 */
export function sealCall<T>(
  seal: Seal,
  what: string,
  call: () => T,
  make: (message: string) => LatticeError,
): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof LatticeError) throw e;
    throw make(`${what}: ${describeSealError(seal, e)}`);
  }
}
