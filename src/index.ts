/**
 * memsnap's public API. This file only re-exports; see docs/ARCHITECTURE.md for the layers.
 */
export * from './errors/index.js';
export * from './hash/index.js';
export * from './chunker/index.js';
export * from './cas/index.js';
export * from './snapshot/index.js';
export * from './capture/index.js';
export * from './restore/index.js';
export * from './inspect/index.js';
export * from './export/index.js';
