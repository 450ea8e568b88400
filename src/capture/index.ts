/**
 * Capture: reads an agent's directory, databases and runtime state at one cut and records
 * them as a snapshot. Imports the snapshot layer and below; never writes agent files.
 */
export * from './glob.js';
export * from './sqlite-image.js';
export * from './state-provider.js';
export * from './git-state.js';
export * from './capture-cache.js';
export * from './content-writer.js';
export * from './memdir-scan.js';
export * from './memdir-store.js';
export * from './agent-fields.js';
export * from './database-sources.js';
export * from './database-state.js';
export * from './database-image.js';
export * from './sqlite-wal.js';
export * from './held-files.js';
export * from './change-journal.js';
export * from './capture-session.js';
export * from './memdir-rescan.js';
export * from './capture.js';
