/** The error hierarchy: a base class with stable codes and one subclass per code. */
export * from './memsnap-error.js';
export * from './errors.js';
