/**
 * A worker thread's entry (./verify-workers.ts): checks one chunk of an
 * election record's ballots and posts the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkChunk, type ChunkTask } from '../../vote/verify-chunks.js';
import { nodeCryptoProvider } from './crypto.js';

parentPort!.postMessage(checkChunk(workerData as ChunkTask, nodeCryptoProvider));
