/**
 * Request size buckets (DESIGN.md, "Traffic analysis"): the client pads each
 * inner request with Binary HTTP padding (RFC 9292 §3.8, zero bytes after the
 * message, inside the seal) to a power of two from 1 KiB, so the relay learns
 * a prompt's size (page text included) only to within a factor of two.
 *
 * Powers of two rather than fixed steps: fixed 4 KiB steps would give a long
 * page hundreds of distinguishable sizes; doubling gives 13 classes from 1 KiB
 * to 4 MiB, at a cost of at most 2× the upload bytes (~44% on average for
 * sizes spread evenly on a log scale; one measured case in BENCHMARKS.md §8). A request above the largest bucket
 * that still fits the relay's and enclave's limit (4 MiB sealed by default) is
 * padded to that limit's bucket minus headroom for the chunk framing.
 */

/** The smallest bucket. */
export const MIN_REQUEST_BUCKET_BYTES = 1024;
/**
 * The largest padded size: 4 MiB (the default `SOTTO_MAX_BODY_BYTES`) less room for
 * the chunked OHTTP framing of that much plaintext (39 bytes of header and `enc`,
 * 18 per 16 KiB chunk: under 5 KiB) and the Binary HTTP framing.
 */
export const MAX_REQUEST_BUCKET_BYTES = 4 * 1024 * 1024 - 16 * 1024;

/** The size an inner request of `n` bytes is padded to (never less than `n`). */
export function requestBucketBytes(n: number): number {
  if (n > MAX_REQUEST_BUCKET_BYTES) return n;
  let b = MIN_REQUEST_BUCKET_BYTES;
  while (b < n) b *= 2;
  return Math.min(b, MAX_REQUEST_BUCKET_BYTES);
}
