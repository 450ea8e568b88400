/** BLAKE3 hashing and content ids. Imports only `errors`. */
export * from './blake3.js';
export * from './content-id.js';
