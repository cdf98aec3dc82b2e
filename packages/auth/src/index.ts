export { authentication } from './plugin.ts';
export {
  createVerifier,
  type Principal,
  remoteKeys,
  TokenError,
  type TokenVerifier,
  type VerifierOptions,
} from './verifier.ts';
