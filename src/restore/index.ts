/** Restore: writes snapshots back to disk, whole or in part, atomically. Imports capture and below. */
export * from './tree-writer.js';
export * from './restore.js';
