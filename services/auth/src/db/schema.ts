/** The auth database, as Drizzle and drizzle-kit read it (drizzle.config.ts points here). */

/** Domain events written with the change, relayed to subscribers by @platform/outbox. */
export { outbox } from '@platform/outbox';
export * from './sign-in-methods.ts';
export * from './tables.ts';
