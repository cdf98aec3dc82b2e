export {
  declarePermissionsOnStart,
  type PermissionDeclaration,
  type PermissionRegistration,
  type RegisterPermissionsOptions,
  registerPermissions,
} from './permissions.ts';
export { authentication } from './plugin.ts';
export { FEED_HEARTBEAT_HEADER, type PollOptions, pollRevocations } from './poll.ts';
export {
  createRedis,
  REVOCATION_STREAM,
  type RedisRevocationOptions,
  redisRevocations,
} from './redis.ts';
export {
  type FollowOptions,
  followLoop,
  type RevocationList,
  RevocationStore,
} from './revocations.ts';
export { createServiceAuth, type ServiceAuth, type ServiceAuthOptions } from './service-auth.ts';
export { requireServiceToken, SERVICE_TOKEN_HEADER } from './service-token.ts';
export {
  createVerifier,
  type Principal,
  remoteKeys,
  TokenError,
  type TokenVerifier,
  type VerifierOptions,
} from './verifier.ts';
