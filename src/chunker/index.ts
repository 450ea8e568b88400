/**
 * Content-defined chunking: FastCDC for files, page-aligned cuts for SQLite images.
 * Pure functions of bytes; imports nothing but `errors`. Hashing and storage live elsewhere.
 */
export * from './chunker.js';
export * from './gear-table.js';
export * from './fastcdc.js';
export * from './gear-scan-wasm.js';
export * from './page-chunker.js';
export * from './chunker-params.js';
export * from './splitter.js';
