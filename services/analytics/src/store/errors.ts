/** The store understood the write and refused it for good (bad data): retrying cannot help. */
export class StoreRejected extends Error {
  override name = 'StoreRejected';
}
