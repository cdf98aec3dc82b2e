export {
  databasePasswordVariable,
  edgeRoutesSetting,
  entryPoint,
  envStem,
  eventSubscribersSetting,
  permissionsOf,
  portVariable,
  rolePermissions,
  routesSetting,
  serviceOfUrlSetting,
  urlSetting,
} from './derive.ts';
export {
  loadManifests,
  ManifestError,
  manifestPath,
  parseManifest,
  RESERVED_PREFIXES,
  readManifest,
  type Service,
} from './load.ts';
export {
  IMPLICIT_SETTINGS,
  isPlatformSetting,
  PLATFORM_SETTINGS,
  type PlatformSetting,
} from './platform.ts';
export {
  type EdgeRoute,
  type Manifest,
  ManifestSchema,
  manifestJsonSchema,
  type OwnSetting,
  type Permission,
} from './schema.ts';
