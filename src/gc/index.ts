/**
 * Retention and garbage collection: which snapshots to keep (policies, saved or given),
 * forgetting the rest, and reclaiming chunks no snapshot needs, safely beside writers.
 */
export * from './retention-policy.js';
export * from './forget.js';
export * from './saved-policy.js';
export * from './mark-set.js';
export * from './maintenance-lock.js';
export * from './collect.js';
