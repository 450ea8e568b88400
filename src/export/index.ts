/**
 * Portable bundles: export snapshots (whole, several, or incremental against a base) as one
 * verifiable `.tar.zst` stream, optionally age-encrypted; verify one without a store; import
 * one into any store; and redact a snapshot by rules before it leaves. Imports `snapshot`
 * and below only; trusts nothing in a bundle.
 */
export * from './bundle-format.js';
export * from './bundle-encryption.js';
export * from './bundle-checker.js';
export * from './bundle-reader.js';
export * from './export-bundle.js';
export * from './import-bundle.js';
export * from './verify-bundle.js';
export * from './redaction-rules.js';
export * from './text-masker.js';
export * from './database-redaction.js';
export * from './redact-snapshot.js';
