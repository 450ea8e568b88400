/**
 * Snapshots: canonical metadata objects (trees, chunk lists, snapshot roots) over the
 * chunk store, and the catalog of refs, history, fields and capture cache. Reads no agent
 * directories and writes none: capture and restore live above.
 */
export * from './canonical-json.js';
export * from './object-store.js';
export * from './content-list.js';
export * from './tree.js';
export * from './snapshot-object.js';
export * from './catalog.js';
export * from './agent-id.js';
export * from './repository.js';
export * from './snapshot-ref.js';
export * from './rebuild-catalog.js';
export * from './reachable.js';
export * from './path-glob.js';
export * from './spilling-id-map.js';
