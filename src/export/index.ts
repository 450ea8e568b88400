/**
 * Portable bundles (issue 4): redaction of a snapshot by rules (this part), bundle export,
 * import and encryption. May import `snapshot` and below.
 */
export * from './redaction-rules.js';
export * from './text-masker.js';
export * from './database-redaction.js';
export * from './redact-snapshot.js';
