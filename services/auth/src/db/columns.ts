import { customType } from 'drizzle-orm/pg-core';

/** Raw bytes (hashes, images): Drizzle has no bytea column of its own. */
export const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
