/**
 * The Bristol Fashion circuits shipped with the repository (data/circuits,
 * see its README and licence), read by tests and benchmarks. Resolved from
 * this file, so they are found whatever the working folder.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBristol } from '../src/primitives/circuits/bristol.js';
import type { Circuit } from '../src/primitives/circuits/circuit.js';

/** The folder of the bundled circuits. */
export const CIRCUITS_DIR = fileURLToPath(new URL('../data/circuits/', import.meta.url));

/** Parses data/circuits/NAME (e.g. 'aes_128.txt'). @throws when the file is missing or malformed. */
export function bristolCircuit(name: string): Circuit {
  return parseBristol(readFileSync(`${CIRCUITS_DIR}${name}`, 'utf8'));
}
