/** The store understood the write and refused it for good (bad data): retrying cannot help. */
export class StoreRejected extends Error {
  override name = 'StoreRejected';
}

/** The store is down, slow or busy: the same write may well succeed later. */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable';
}

/** A report would read more than MAX_TIMELINE_EVENTS: the caller narrows the range. */
export class TooManyEvents extends Error {
  override name = 'TooManyEvents';
}
