/**
 * The contract every chunker meets, and the two frozen families of parameters.
 *
 * A chunker is a pure function of bytes: given the bytes that follow the previous cut,
 * it says where the next cut is. It sees at most `maxSize` bytes; a caller must offer
 * at least `maxSize` bytes unless the input ends sooner (`final`). Because no state
 * crosses a cut, the cuts are the same however the input is sliced or fed.
 */

/** A content-defined chunker. */
export interface Chunker {
  /** Frozen name recorded in the store config, e.g. `fastcdc-v1-16k`. */
  readonly name: string;
  /** Largest chunk this chunker emits, in bytes. */
  readonly maxSize: number;
  /**
   * Length in bytes of the chunk that starts at `data[start]`.
   *
   * @param data   bytes; only `data[start, end)` is read
   * @param start  index of the first byte after the previous cut
   * @param end    index one past the last available byte
   * @param final  true when no bytes follow `end` (end of input)
   * @returns a length in `1 .. min(end - start, maxSize)`, or 0 when `start === end`.
   *   When `final` is false the caller must have offered `end - start >= maxSize` bytes.
   */
  cut(data: Uint8Array, start: number, end: number, final: boolean): number;
}
