/**
 * Ingest: the chunk + hash pipeline between the chunker and the chunk store. Turns buffers
 * and files into ordered chunk lists, cutting and hashing large inputs on worker threads
 * with exactly the cuts and ids of the sequential path, and hands chunks to a chunk writer.
 * Knows nothing of snapshots; imports `errors`, `hash`, `chunker` and `cas`.
 */
export * from './chunk-and-hash.js';
export * from './hash-pool.js';
export * from './parallel-chunk-and-hash.js';
export * from './ingest.js';
