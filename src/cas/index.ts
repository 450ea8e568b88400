/**
 * The content-addressed store: immutable packs of chunks behind an object backend, and a
 * SQLite index that maps ids to where they live. Knows nothing of snapshots; imports only
 * `errors`, `hash` and `chunker` (for the names recorded in the config).
 */
export * from './backend/object-backend.js';
export * from './backend/fs-backend.js';
export * from './backend/memory-backend.js';
export * from './pack-format.js';
export * from './pack-builder.js';
export * from './pack-reader.js';
export * from './compression.js';
export * from './compression-pool.js';
export * from './verify-pool.js';
export * from './payload-batch.js';
export * from './chunk-stream.js';
export * from './chunk-index.js';
export * from './chunk-writer.js';
export * from './chunk-store.js';
export * from './store-config.js';
export * from './progress.js';
export * from './verify-store.js';
export * from './rebuild-index.js';
export * from './local-store.js';
export * from './writer-leases.js';
export * from './chunk-collection.js';
export * from './presence-cache.js';
